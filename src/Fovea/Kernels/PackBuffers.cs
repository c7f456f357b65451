using System.Runtime.InteropServices;

namespace Fovea.Kernels;

/// <summary>
/// One thread's GEMM scratch: packed B block, packed A block, an A edge panel and an edge tile of C.
/// Native, 64-byte aligned (a cache line, so a packed panel never shares a line with another thread's data,
/// and full-width vector loads never split a line). Grown on demand and then kept, so steady-state calls
/// allocate nothing; freed by the finalizer once the owning thread is gone.
/// </summary>
internal sealed unsafe class PackBuffers
{
    [ThreadStatic] private static PackBuffers? t_current;

    public static PackBuffers ForThisThread => t_current ??= new PackBuffers();

    private Region _b, _a, _edge, _tile, _corners, _c;

    public float* B(nint floats) => _b.Ensure(floats);
    public float* A(nint floats) => _a.Ensure(floats);
    public float* Edge(nint floats) => _edge.Ensure(floats);
    public float* Tile(nint floats) => _tile.Ensure(floats);
    /// <summary>A part's own block of C (<see cref="KernelOptions.PrivateCMaxFloats"/>).</summary>
    public float* C(nint floats) => _c.Ensure(floats);
    /// <summary>Offsets of the pixels of one k block, for a kernel gradient read from the images in place.</summary>
    public nint* Corners(nint count) => (nint*)_corners.Ensure(count * (sizeof(nint) / sizeof(float)));

    ~PackBuffers()
    {
        _b.Free();
        _a.Free();
        _edge.Free();
        _tile.Free();
        _corners.Free();
        _c.Free();
    }

    private struct Region
    {
        private float* _ptr;
        private nint _floats;

        public float* Ensure(nint floats)
        {
            if (floats > _floats)
            {
                Free();
                // Grow by half again so a slowly growing sequence of shapes does not reallocate every call.
                nint size = Math.Max(floats, _floats + _floats / 2);
                _ptr = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
                _floats = size;
            }
            return _ptr;
        }

        public void Free()
        {
            if (_ptr != null) NativeMemory.AlignedFree(_ptr);
            _ptr = null;
            _floats = 0;
        }
    }
}
