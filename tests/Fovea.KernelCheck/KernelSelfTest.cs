using System.Text;

namespace Fovea.Kernels;

/// <summary>
/// Compares <see cref="Sgemm"/> with <see cref="SgemmReference"/> (and <see cref="Convolution"/> with its reference,
/// which runs on the SGEMM and the vectorised im2col) on a fixed list of awkward shapes, on whichever
/// CPU path this process selected. Tests run it in child processes started with DOTNET_EnableAVX512=0 or
/// DOTNET_EnableAVX2=0, so the AVX2 and 128-bit paths stay correct on an AVX-512 machine.
/// </summary>
internal static class KernelSelfTest
{
    /// <summary>Returns whether every case passed, and one line per case (failures first) plus the path.</summary>
    public static (bool Passed, string Report) Run()
    {
        var tally = new Tally();
        var rng = new Random(12345);
        SgemmCases(tally, rng);
        ConvolutionCases(tally, rng);
        RowCases(tally, rng);
        // Fused ReLU clamps negatives and keeps NaN on every path (a full tile: 6 rows, NR columns).
        tally.Count(ReluKeepsNan(out string reluDetail), reluDetail);
        tally.Count(Data.Augmentation.ImageTransformsSelfTest.Run(out string imageDetail), imageDetail);
        tally.Count(PaddedPoolSelfTest.Run(out string poolDetail), poolDetail);
        tally.Count(WinogradF4SelfTest.Run(out string f4Detail), f4Detail);
        // BatchNorm, GELU, pooling and the loss, on the same instruction-set path.
        var (normCases, normFailed) = NormKernelChecks.RunAll(tally.Failures);
        tally.Cases += normCases;
        tally.Failed += normFailed;
        string report = $"path={Sgemm.ActivePath} cases={tally.Cases} failed={tally.Failed}{Environment.NewLine}{tally.Failures}";
        return (tally.Failed == 0, report);
    }

    /// <summary>Cases run and failed, and one line per failure.</summary>
    private sealed class Tally
    {
        public readonly StringBuilder Failures = new();
        public int Cases, Failed;

        public void Count(bool passed, string detail, string prefix = "")
        {
            Cases++;
            if (!passed) { Failed++; Failures.AppendLine(prefix + detail); }
        }
    }

    private static void SgemmCases(Tally tally, Random rng)
    {
        int[] sizes = [1, 3, 7, 17, 33, 65];
        foreach (int m in sizes)
        foreach (int n in sizes)
        foreach (int k in sizes)
        {
            int flags = tally.Cases;   // cycle transposes, accumulate, bias, relu and threads across the shapes
            var c = new SgemmCase(m, n, k, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
                                  (flags & 8) != 0, (flags & 16) != 0, Threads: 1 + (flags >> 5 & 1), Pad: flags % 3);
            tally.Count(c.Check(rng, out string detail), detail);
        }
        // Shapes that cross the k, M and N blocking, and the tutorial's small-k / small-n cases.
        SgemmCase[] large =
        [
            new(130, 70, 1000, false, false, true, true, true, 2, 1),
            new(61, 45, 777, true, true, true, false, false, 2, 0),
            new(300, 64, 288, false, false, false, true, true, 2, 0),
            new(288, 64, 1500, true, false, false, false, false, 2, 0),
            new(500, 288, 64, false, true, true, true, false, 2, 3),
            new(27, 32, 2000, true, false, false, false, false, 2, 0),
            new(9, 2100, 13, false, true, false, true, true, 1, 2),
            // n = NR of each path with a tight ldb: B is read in place as one packed panel.
            new(50, 32, 300, false, false, true, true, false, 2, 0),
            new(50, 16, 300, true, false, false, false, true, 1, 0),
            new(50, 8, 300, false, false, true, true, true, 2, 0),
        ];
        foreach (var c in large) tally.Count(c.Check(rng, out string detail), detail);
        // The same with A packed into panels, which the default blocking leaves to shapes with very wide n.
        WithOptions(o => o with { PackAMinN = 0 }, () =>
        {
            foreach (var c in large) tally.Count(c.Check(rng, out string detail), detail, "packA ");
        });
    }

    private static void ConvolutionCases(Tally tally, Random rng)
    {
        // Convolutions: strides, four-sided padding, the pointwise path, the split-k kernel gradient (small
        // kernels) and the whole-SGEMM one (3×3×40×48), and tiles that split the batch unevenly.
        ConvolutionCase[] convolutions =
        [
            new(ConvGeometry.Valid(12, 11, 3, 2, 2), 24, 3, 0, true, false),
            new(ConvGeometry.Same(9, 7, 5, 3, 3), 6, 7, 2, true, true),
            new(ConvGeometry.Same(9, 8, 17, 3, 3, 2, 2), 9, 3, 1, false, false),
            new(ConvGeometry.Same(6, 7, 1, 3, 2), 4, 3, 2, true, true),
            new(ConvGeometry.Valid(5, 4, 17, 1, 1), 19, 3, 0, true, false),
            new(ConvGeometry.Valid(6, 5, 40, 3, 3), 48, 3, 2, true, true),
            // Implicit forward: k blocks that start inside a kernel row (k = 450 > KcMax), filter tails, and a
            // stride-2 asymmetric padding read from the zero-bordered copy.
            new(ConvGeometry.Same(5, 4, 50, 3, 3), 19, 3, 0, true, true),
            new(ConvGeometry.Padded(7, 6, 9, 3, 3, 2, 1, 1, 2, 1, 0), 37, 2, 1, true, false),
            // Row tiles (AVX-512, maps 3–8 wide): k blocks inside one kernel row, skipped at the top and bottom rows
            // (first block, last block with bias and ReLU), a filter tail, a 3-wide map.
            new(ConvGeometry.Same(5, 7, 130, 3, 3), 40, 2, 0, true, true),
            new(ConvGeometry.Same(3, 3, 140, 3, 3), 33, 3, 0, false, true),
            // Winograd F(2×2, 3×3): channel tails on every width (17, 33), partial tiles, asymmetric padding,
            // chunks that cut images.
            new(ConvGeometry.Same(9, 7, 5, 3, 3), 6, 3, 2, true, true, ConvolutionAlgorithm.Winograd),
            new(ConvGeometry.Same(6, 5, 40, 3, 3), 48, 3, 1, true, true, ConvolutionAlgorithm.Winograd),
            new(ConvGeometry.Padded(5, 6, 17, 3, 3, 1, 1, 0, 2, 1, 0), 33, 2, 0, false, false, ConvolutionAlgorithm.Winograd),
            new(ConvGeometry.Valid(7, 4, 33, 3, 3), 17, 3, 1, true, false, ConvolutionAlgorithm.Winograd),
        ];
        foreach (var c in convolutions) tally.Count(c.Check(rng, out string detail), detail);
        // The same with every input gradient summed where it lands (the geometry rule picks it for wide layers only).
        WithOptions(o => o with { FusedInputGradient = true }, () =>
        {
            foreach (var c in convolutions) tally.Count(c.Check(rng, out string detail), detail, "fused dX ");
        });
    }

    private static void RowCases(Tally tally, Random rng)
    {
        // One row: the matrix-vector path (n a whole number of vectors), across k blocks, and bit-identical to the same
        // row inside a larger M, so that a batch of one predicts exactly what that image gets in a batch.
        SgemmCase[] rows =
        [
            new(1, 64, 2304, false, false, false, true, true, 2, 0),
            new(1, 96, 1000, true, false, true, true, false, 1, 3),
            new(1, 16, 7, false, false, true, false, true, 1, 1),
            new(1, 8, 300, true, false, false, true, true, 2, 2),
            new(1, 32, 1, false, false, false, false, false, 1, 0),
        ];
        foreach (var c in rows) tally.Count(c.Check(rng, out string detail), detail, "row ");
        foreach (var (n, k) in new[] { (64, 2304), (96, 1000), (16, 7), (8, 300) })
            tally.Count(RowMatchesMatrix(rng, n, k, out string rowDetail), rowDetail);
    }

    /// <summary>Runs <paramref name="run"/> with the kernel options changed, then restores them.</summary>
    private static void WithOptions(Func<KernelOptions, KernelOptions> change, Action run)
    {
        var saved = Engine.KernelOptions;
        Engine.KernelOptions = change(saved);
        try { run(); }
        finally { Engine.KernelOptions = saved; }
    }

    private static bool RowMatchesMatrix(Random rng, int n, int k, out string detail)
    {
        const int m = 7, row = 3;
        var a = new float[m * k];
        var b = new float[k * n];
        var bias = new float[n];
        foreach (var x in new[] { a, b, bias })
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var all = new float[m * n];
        var one = new float[n];
        Sgemm.Multiply(m, n, k, a, k, false, b, n, false, all, n, bias: bias, relu: true);
        Sgemm.Multiply(1, n, k, a.AsSpan(row * k, k), k, false, b, n, false, one, n, bias: bias, relu: true);
        for (int j = 0; j < n; j++)
        {
            if (BitConverter.SingleToInt32Bits(one[j]) != BitConverter.SingleToInt32Bits(all[row * n + j]))
            {
                detail = $"FAIL row {row} of {m}×{n}×{k}: C[{j}] = {one[j]} alone, {all[row * n + j]} in the matrix";
                return false;
            }
        }
        detail = $"ok row of {m}×{n}×{k}";
        return true;
    }

    private static bool ReluKeepsNan(out string detail)
    {
        const int m = 6, n = 64, k = 1;
        var a = new float[m * k];
        var b = new float[k * n];
        Array.Fill(a, 1f);
        for (int j = 0; j < n; j++) b[j] = j % 3 == 0 ? -1f : j % 3 == 1 ? float.NaN : 2f;
        var c = new float[m * n];
        Sgemm.Multiply(m, n, k, a, k, false, b, n, false, c, n, relu: true);
        for (int i = 0; i < m * n; i++)
        {
            int j = i % n;
            bool ok = j % 3 == 0 ? c[i] == 0f : j % 3 == 1 ? float.IsNaN(c[i]) : c[i] == 2f;
            if (!ok)
            {
                detail = $"FAIL relu: C[{i / n},{j}] = {c[i]}";
                return false;
            }
        }
        detail = "ok relu";
        return true;
    }
}

/// <summary>One comparison of the fast SGEMM with the reference, with random data and padded leading dimensions.</summary>
internal readonly record struct SgemmCase(int M, int N, int K, bool TransA, bool TransB, bool Accumulate, bool Bias, bool Relu, int Threads, int Pad)
{
    public bool Check(Random rng, out string detail)
    {
        int lda = (TransA ? M : K) + Pad, ldb = (TransB ? K : N) + Pad, ldc = N + Pad;
        var a = Fill(rng, (TransA ? K : M) * lda);
        var b = Fill(rng, (TransB ? N : K) * ldb);
        var c0 = Fill(rng, M * ldc);
        var bias = Bias ? Fill(rng, N) : [];
        var fast = (float[])c0.Clone();
        var expected = (float[])c0.Clone();
        Sgemm.Multiply(M, N, K, a, lda, TransA, b, ldb, TransB, fast, ldc, Accumulate, bias, Relu, Threads);
        SgemmReference.Multiply(M, N, K, a, lda, TransA, b, ldb, TransB, expected, ldc, Accumulate, bias, Relu);
        // Error bound for a float sum of K products: a few ulps of Σ|a·b| + |c| + |bias|, which is what the reference
        // computes when given absolute values.
        var magnitude = Array.ConvertAll(c0, MathF.Abs);
        SgemmReference.Multiply(M, N, K, Array.ConvertAll(a, MathF.Abs), lda, TransA, Array.ConvertAll(b, MathF.Abs), ldb, TransB,
                                magnitude, ldc, Accumulate, Array.ConvertAll(bias, MathF.Abs), relu: false);
        float tolerance = 2.4e-7f * (K + 3);   // 4·(K+3)·2⁻²⁴: K-deep sum plus the epilogue adds, 4× margin
        for (int i = 0; i < M * ldc; i++)
        {
            bool inside = i % ldc < N;
            float want = inside ? expected[i] : c0[i];   // padding columns must be left untouched
            float bound = inside ? tolerance * magnitude[i] + 1e-30f : 0f;
            if (!(Math.Abs(fast[i] - want) <= bound))
            {
                detail = $"FAIL {this}: C[{i / ldc},{i % ldc}] = {fast[i]}, expected {want} (±{bound})";
                return false;
            }
        }
        detail = $"ok {this}";
        return true;
    }

    private static float[] Fill(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
