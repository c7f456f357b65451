namespace Fovea.Kernels;

/// <summary>
/// The transformed kernel packed into the GEMM's panels (<see cref="KernelOptions.WinogradPackedKernel"/>): a plan of
/// its own packs each transform as soon as it is made (the forward pass's panels, and at F(2×2) the input gradient's
/// from the same U) and keeps only the panels; the transforms and dU live in one scratch per thread while they are
/// made or used. A plan sharing its transform with a model's replicas packs in every product, as the SGEMM does.
/// </summary>
public sealed partial class WinogradConvolution
{
    // The GEMMs' B packed into panels, per ξ, when a transform is made (or on a pass's first chunk): U for the forward
    // pass, its transpose (of the turned transform at F(4×4)) for the input gradient. Each is stamped with the
    // transform it was packed from.
    private float[] _packedForward = [], _packedInputGradient = [];
    private long _uStamp, _uTurnedStamp, _packedForwardStamp = -1, _packedInputGradientStamp = -1;
    private readonly bool _packedOption = Engine.KernelOptions.WinogradPackedKernel;   // read once: a plan is one or the other

    /// <summary>
    /// Transforms that live only while a pass makes or uses them, one array per thread (each training replica's): dU,
    /// and with packed kernels the transforms themselves, which the packed panels replace between passes.
    /// </summary>
    [ThreadStatic] private static float[]? t_scratch;

    private static float[] Scratch(int length)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length) t_scratch = scratch = new float[length];
        return scratch;
    }

    /// <summary>Whether the GEMMs read packed panels (<see cref="KernelOptions.WinogradPackedKernel"/>); a plan sharing
    /// its transform with other plans packs in every product.</summary>
    private bool PacksKernel => _packedOption && Shared is null;

    /// <summary>With packed kernels a plan keeps no transform between passes: each is packed as soon as it is made (at
    /// F(2×2) for the input gradient too, which reads the same U), and the panels stand for it.</summary>
    private bool TransformsInScratch => PacksKernel;

    /// <summary>Packs pass <paramref name="p"/>'s B from the transform <paramref name="u"/> now, every ξ across the pool,
    /// and stamps the panels with the transform's stamp.</summary>
    private void PackNow(Pass p, float[] u)
    {
        if (PackedKernelFor(p, out var packed) && packed is not null)
        {
            _packing.Set(p, u, packed);
            try { WorkerPool.Shared.Run(_packing, _xi); }
            finally { _packing.Clear(); }
        }
    }

    private readonly PackWork _packing = new();

    /// <summary>One ξ's panels per part, as the products of <see cref="GemmWork"/> read them.</summary>
    private sealed class PackWork : IParallelWork
    {
        private Pass? _pass;
        private float[] _u = [], _packed = [];

        public void Set(Pass p, float[] u, float[] packed) => (_pass, _u, _packed) = (p, u, packed);
        public void Clear() => (_pass, _u, _packed) = (null, [], []);
        public void Execute(int xi) => GemmWork.PackPanel(_pass!, _u, _packed, xi);
    }

    /// <summary>
    /// The pass's packed B (null: each product packs its own, as a plan sharing its transform does), and whether the
    /// first chunk's products must pack it: when it was packed from an older transform than the one the pass reads.
    /// </summary>
    private bool PackedKernelFor(Pass p, out float[]? packed)
    {
        packed = null;
        if (!PacksKernel) return false;
        int length = _xi * PackedLength(p);
        bool forward = ReferenceEquals(p, _forward);
        ref float[] array = ref forward ? ref _packedForward : ref _packedInputGradient;
        ref long stamp = ref forward ? ref _packedForwardStamp : ref _packedInputGradientStamp;
        long current = forward || OutputTile == 2 ? _uStamp : _uTurnedStamp;
        if (array.Length != length) (array, stamp) = (new float[length], -1);
        packed = array;
        if (stamp == current) return false;
        stamp = current;
        return true;
    }

    /// <summary>Floats of one ξ's packed B in pass <paramref name="p"/>: its product's depth is the pass's input channels.</summary>
    private static int PackedLength(Pass p) => (int)Sgemm.PackedPanelsLength(p.InChannels, p.OutChannels);
}
