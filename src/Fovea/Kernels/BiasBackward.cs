using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>
/// The backward pass of "+ bias, then ReLU" over a [rows, cols] output gradient, in one sweep split across the pool:
/// dz = dy ⊙ (y &gt; 0) in place, and dbias += Σ_rows dz. Rows are cut into a fixed number of chunks whatever the
/// thread count, and the chunks' partial sums are added in chunk order, so the result is the same bit for bit
/// on one thread or many.
/// </summary>
public sealed class BiasBackward : IParallelWork
{
    private const int Chunks = 32;
    private float[] _partials = [];
    private float[] _grad = [];
    private float[] _output = [];
    private int _rows, _cols;
    private bool _relu;

    /// <param name="grad">dL/dy on entry, dL/dz on return: [rows, cols].</param>
    /// <param name="output">y = relu(z), the forward output (read only when <paramref name="relu"/>).</param>
    /// <param name="biasGrad">dL/d(bias), one value per column; the sums are added into it.</param>
    /// <param name="rows">Rows of <paramref name="grad"/>: samples, or samples × positions.</param>
    /// <param name="cols">Columns of <paramref name="grad"/>: the bias's length.</param>
    /// <param name="relu">Whether the forward pass applied ReLU, whose gradient is applied first.</param>
    public void Run(Span<float> biasGrad, float[] grad, float[] output, int rows, int cols, bool relu)
    {
        if (biasGrad.Length != cols) throw new ArgumentException($"biasGrad must have {cols} values; got {biasGrad.Length}", nameof(biasGrad));
        if (grad.Length < rows * cols || (relu && output.Length < rows * cols)) throw new ArgumentException("grad or output is shorter than rows × cols");
        if (_partials.Length < Chunks * cols) _partials = new float[Chunks * cols];
        (_grad, _output, _rows, _cols, _relu) = (grad, output, rows, cols, relu);
        WorkerPool.Shared.Run(this, Chunks);
        for (int c = 0; c < Chunks; c++)
            TensorPrimitives.Add(biasGrad, _partials.AsSpan(c * cols, cols), biasGrad);
        (_grad, _output) = ([], []);
    }

    /// <inheritdoc/>
    public unsafe void Execute(int chunk)
    {
        int cols = _cols, start = (int)((long)_rows * chunk / Chunks), end = (int)((long)_rows * (chunk + 1) / Chunks);
        var sum = _partials.AsSpan(chunk * cols, cols);
        sum.Clear();
        if (end <= start) return;
        fixed (float* dz = &_grad[start * cols], s = sum)
        fixed (float* y = _relu ? _output : null)
            SumColumns(dz, y == null ? null : y + start * cols, end - start, cols, s);
    }

    /// <summary>
    /// sum[j] += Σ_r dz[r, j] over the rows in order, each dz first masked by y &gt; 0 (in place) when y is given: the
    /// ReLU's gradient and the column sums in one sweep, with the sums in registers, 16 to 64 columns at a time. The
    /// same operations in the same order as masking the whole block and then adding it row by row (a bias of 32
    /// values had spent most of the sweep in the per-row calls).
    /// </summary>
    private static unsafe void SumColumns(float* dz, float* y, int rows, int cols, float* sum)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 64 <= cols; j += 64) Columns<Four>(dz + j, y == null ? null : y + j, rows, cols, sum + j);
            for (; j + 16 <= cols; j += 16) Columns<One>(dz + j, y == null ? null : y + j, rows, cols, sum + j);
        }
        for (; j < cols; j++)
        {
            float total = sum[j];
            for (int r = 0; r < rows; r++)
            {
                nint at = (nint)r * cols + j;
                if (y != null && !(y[at] > 0)) dz[at] = 0;
                total += dz[at];
            }
            sum[j] = total;
        }
    }

    private interface IVectors { static abstract int Count { get; } }
    private readonly struct One : IVectors { public static int Count => 1; }
    private readonly struct Four : IVectors { public static int Count => 4; }

    /// <summary><see cref="SumColumns"/> for <typeparamref name="TVectors"/> × 16 columns, their sums in registers.</summary>
    private static unsafe void Columns<TVectors>(float* dz, float* y, int rows, int cols, float* sum) where TVectors : struct, IVectors
    {
        var s0 = Vector512.Load(sum);
        var s1 = TVectors.Count > 1 ? Vector512.Load(sum + 16) : default;
        var s2 = TVectors.Count > 1 ? Vector512.Load(sum + 32) : default;
        var s3 = TVectors.Count > 1 ? Vector512.Load(sum + 48) : default;
        for (int r = 0; r < rows; r++, dz += cols)
        {
            var d0 = Vector512.Load(dz);
            if (y != null)
            {
                d0 &= Vector512.GreaterThan(Vector512.Load(y), Vector512<float>.Zero);
                d0.Store(dz);
            }
            s0 += d0;
            if (TVectors.Count > 1)
            {
                var d1 = Vector512.Load(dz + 16);
                var d2 = Vector512.Load(dz + 32);
                var d3 = Vector512.Load(dz + 48);
                if (y != null)
                {
                    d1 &= Vector512.GreaterThan(Vector512.Load(y + 16), Vector512<float>.Zero);
                    d2 &= Vector512.GreaterThan(Vector512.Load(y + 32), Vector512<float>.Zero);
                    d3 &= Vector512.GreaterThan(Vector512.Load(y + 48), Vector512<float>.Zero);
                    d1.Store(dz + 16);
                    d2.Store(dz + 32);
                    d3.Store(dz + 48);
                }
                (s1, s2, s3) = (s1 + d1, s2 + d2, s3 + d3);
            }
            if (y != null) y += cols;
        }
        s0.Store(sum);
        if (TVectors.Count > 1)
        {
            s1.Store(sum + 16);
            s2.Store(sum + 32);
            s3.Store(sum + 48);
        }
    }
}
