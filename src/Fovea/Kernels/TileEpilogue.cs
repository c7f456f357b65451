namespace Fovea.Kernels;

/// <summary>How a register tile of one k block is stored: adding what C holds when Load, then the bias (null until
/// the last k block) and ReLU.</summary>
internal unsafe struct TileEpilogue
{
    public bool Load;
    public float* Bias;     // this panel's columns of the bias, or null
    public bool Relu;
}

/// <summary>
/// A register tile cut by the edge of C runs in full on an aligned scratch tile, whose rows hold what C held (when
/// the tile loads it) and whose bias row is zero-padded; then the rows and columns that exist are copied back. The
/// arithmetic is the full tile's, so the stored values are the same bits.
/// </summary>
internal readonly unsafe struct ScratchTile
{
    /// <summary>The scratch tile, row stride NR.</summary>
    public readonly float* C;
    /// <summary>The zero-padded bias, or null.</summary>
    public readonly float* Bias;
    private readonly int _rows, _cols, _nr;

    private ScratchTile(float* c, float* bias, int rows, int cols, int nr)
    {
        C = c;
        Bias = bias;
        _rows = rows;
        _cols = cols;
        _nr = nr;
    }

    /// <summary>A scratch for <paramref name="rows"/> × <paramref name="cols"/> of C at <paramref name="c"/>, in a
    /// tile of <paramref name="capacity"/> rows of <paramref name="nr"/> floats.</summary>
    public static ScratchTile Begin(PackBuffers buffers, int capacity, int rows, int cols, int nr, float* c, nint ldc, in TileEpilogue store)
    {
        float* tile = buffers.Tile((nint)(capacity + 1) * nr);
        float* bias = null;
        if (store.Load)
        {
            for (int r = 0; r < rows; r++)
                new ReadOnlySpan<float>(c + r * ldc, cols).CopyTo(new Span<float>(tile + r * nr, cols));
        }
        if (store.Bias != null)
        {
            bias = tile + capacity * nr;
            new Span<float>(bias, nr).Clear();
            new ReadOnlySpan<float>(store.Bias, cols).CopyTo(new Span<float>(bias, cols));
        }
        return new ScratchTile(tile, bias, rows, cols, nr);
    }

    /// <summary>Copies the rows and columns that exist back into C.</summary>
    public void End(float* c, nint ldc)
    {
        for (int r = 0; r < _rows; r++)
            new ReadOnlySpan<float>(C + r * _nr, _cols).CopyTo(new Span<float>(c + r * ldc, _cols));
    }
}
