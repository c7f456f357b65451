namespace Fovea.Benchmarks;

/// <summary>The GEMMs a training step of the tutorial CNN (batch 64, im2col convolutions, NHWC) runs, plus 1024³.</summary>
public sealed record SgemmShape(string Name, int M, int N, int K, bool TransA, bool TransB)
{
    public static readonly SgemmShape[] Tutorial =
    [
        new("conv1.fwd", 57_600, 32, 27, false, false),
        new("conv2.fwd", 10_816, 64, 288, false, false),
        new("dense1.fwd", 64, 64, 2304, false, false),
        new("dense2.fwd", 64, 10, 64, false, false),
        new("conv2.dW", 288, 64, 10_816, true, false),
        new("conv2.dX", 10_816, 288, 64, false, true),
        new("conv1.dW", 27, 32, 57_600, true, false),
        new("dense1.dW", 2304, 64, 64, true, false),
        new("dense1.dX", 64, 2304, 64, false, true),
        new("square1024", 1024, 1024, 1024, false, false),
        // airbench94 at batch 1: its 256-channel convolutions on 7×7 and 3×3 maps (B, the kernel, is 2.4 MB).
        new("air1.b2b", 49, 256, 2304, false, false),
        new("air1.b3b", 9, 256, 2304, false, false),
        new("air1.b2a", 225, 256, 576, false, false),
    ];

    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;

    /// <summary>Operands with the leading dimensions a layer would pass (tight), filled with small random values.</summary>
    public (float[] A, int Lda, float[] B, int Ldb, float[] C, float[] Bias) Allocate(int seed = 1)
    {
        var rng = new Random(seed);
        float[] Fill(int count)
        {
            var x = new float[count];
            for (int i = 0; i < count; i++) x[i] = (float)rng.NextDouble() - 0.5f;
            return x;
        }
        return (Fill(M * K), TransA ? M : K, Fill(K * N), TransB ? K : N, new float[M * N], Fill(N));
    }
}
