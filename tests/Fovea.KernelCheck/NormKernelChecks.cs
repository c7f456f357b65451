using System.Text;
using Fovea.Losses;

namespace Fovea.Kernels;

/// <summary>
/// Comparisons of <see cref="BatchNorm"/>, <see cref="Gelu"/>, <see cref="GlobalAveragePool"/> and
/// the cross-entropy from logits (<see cref="Losses.SparseCategoricalCrossentropy"/>) with their double references, on whichever CPU path this process selected.
/// The unit tests call them on odd shapes; <see cref="KernelSelfTest"/> reruns them in child processes with the
/// wider instruction sets switched off.
/// </summary>
internal static class NormKernelChecks
{
    /// <summary>Runs every case of this file, appending failures; returns (cases, failed).</summary>
    public static (int Cases, int Failed) RunAll(StringBuilder failures)
    {
        int cases = 0, failed = 0;
        var rng = new Random(2024);
        void Count(bool ok, string detail)
        {
            cases++;
            if (!ok) { failed++; failures.AppendLine(detail); }
        }
        int[] channelCounts = [1, 3, 5, 17, 24, 64, 100];
        int[] rowCounts = [1, 2, 7, 130, 1500];
        int index = 0;
        foreach (int channels in channelCounts)
        foreach (int rows in rowCounts)
        {
            int f = index++;
            double offset = (f % 3) switch { 0 => 0, 1 => 3, _ => -100 };
            Count(CheckBatchNorm(rows, channels, offset, affine: f % 2 == 0, rng, out string detail), detail);
        }
        Count(CheckBatchNorm(33000, 3, 7, affine: true, rng, out string big), big);   // many blocks and parts
        foreach (int length in new[] { 1, 5, 15, 16, 17, 31, 33, 100, 70000 })
            Count(CheckGelu(length, rng, out string detail), detail);
        Count(CheckGeluSpecialValues(out string special), special);
        Count(CheckNormalCdf(out string cdf), cdf);
        foreach (var (batch, positions, channels) in new[] { (1, 1, 1), (3, 9, 5), (2, 225, 17), (5, 49, 24), (4, 3, 64) })
            Count(CheckGlobalAveragePool(batch, positions, channels, rng, out string detail), detail);
        foreach (var (batch, classes, smoothing) in new[] { (1, 1, 0f), (3, 10, 0.2f), (17, 5, 0f), (8, 100, 0.1f), (2, 3, 0.9f) })
            Count(CheckCrossEntropy(batch, classes, smoothing, rng, out string detail), detail);
        return (cases, failed);
    }

    /// <summary>
    /// Training forward, inference forward and backward against <see cref="BatchNormReference"/> on x = offset + N(0, σ)
    /// with σ varying by channel. Tolerances scale with 1 + |mean|/σ: x − mean in float loses that many ulps.
    /// </summary>
    public static bool CheckBatchNorm(int rows, int channels, double offset, bool affine, Random rng, out string detail)
    {
        string name = $"batchnorm rows={rows} channels={channels} offset={offset} affine={affine}";
        int count = rows * channels;
        var x = new float[count];
        var sigma = new double[channels];
        for (int c = 0; c < channels; c++) sigma[c] = 0.1 + 2 * rng.NextDouble();
        for (int i = 0; i < count; i++) x[i] = (float)(offset + sigma[i % channels] * Gaussian(rng));
        float[] gamma = affine ? Fill(rng, channels, 0.5, 1.5) : [], beta = affine ? Fill(rng, channels, -1, 1) : [];
        var dy = Fill(rng, count, -1, 1);
        const float eps = 1e-5f;

        var y = new float[count];
        float[] mean = new float[channels], invStd = new float[channels], variance = new float[channels];
        BatchNorm.TrainingForward(y, mean, invStd, variance, x, gamma, beta, rows, channels, eps);
        double[] yRef = new double[count], meanRef = new double[channels], invRef = new double[channels], varRef = new double[channels];
        double[] xd = ToDouble(x), gd = ToDouble(gamma), bd = ToDouble(beta);
        BatchNormReference.TrainingForward(yRef, meanRef, invRef, varRef, xd, gd, bd, rows, channels, eps);
        for (int c = 0; c < channels; c++)
        {
            double spread = Math.Sqrt(varRef[c]) + 1e-30;
            if (!Near(mean[c], meanRef[c], 2e-6 * (Math.Abs(meanRef[c]) + spread))
                || !Near(variance[c], varRef[c], 1e-5 * varRef[c] + 1e-6 * spread * Math.Abs(meanRef[c]) + 1e-30)
                || !Near(invStd[c], invRef[c], 1e-5 * invRef[c] * (1 + Math.Abs(meanRef[c]) / spread * 1e-2)))
                return Fail(out detail, $"{name}: channel {c} mean/var/invStd {mean[c]}/{variance[c]}/{invStd[c]}, expected {meanRef[c]}/{varRef[c]}/{invRef[c]}");
        }
        for (int i = 0; i < count; i++)
        {
            int c = i % channels;
            double g = affine ? Math.Abs(gamma[c]) : 1, b = affine ? Math.Abs(beta[c]) : 0;
            double tolerance = 2e-6 * (1 + Math.Abs(meanRef[c]) * invRef[c]) * (g * (1 + Math.Abs(yRef[i])) + b);
            if (!Near(y[i], yRef[i], tolerance)) return Fail(out detail, $"{name}: y[{i}] = {y[i]}, expected {yRef[i]} (±{tolerance:G3})");
        }

        // Inference with the batch statistics as moving statistics must give the training output again.
        var yInference = new float[count];
        BatchNorm.InferenceForward(yInference, x, mean, variance, gamma, beta, rows, channels, eps);
        var yInferenceRef = new double[count];
        BatchNormReference.InferenceForward(yInferenceRef, xd, ToDouble(mean), ToDouble(variance), gd, bd, rows, channels, eps);
        for (int i = 0; i < count; i++)
        {
            int c = i % channels;
            double tolerance = 2e-6 * (1 + Math.Abs(meanRef[c]) * invRef[c]) * ((affine ? Math.Abs(gamma[c]) : 1) * (1 + Math.Abs(yInferenceRef[i])) + (affine ? Math.Abs(beta[c]) : 0));
            if (!Near(yInference[i], yInferenceRef[i], tolerance))
                return Fail(out detail, $"{name}: inference y[{i}] = {yInference[i]}, expected {yInferenceRef[i]}");
        }

        var batch = new BatchNormBatch(name, rows, channels, x, dy, gamma, mean, invStd, meanRef, invRef);
        if (!CheckBatchNormBackward(in batch, out detail)) return false;
        detail = $"ok {name}";
        return true;
    }

    /// <summary>One batch of <see cref="CheckBatchNorm"/>: its data and the forward pass's statistics, fast and reference.</summary>
    private readonly record struct BatchNormBatch(string Name, int Rows, int Channels, float[] X, float[] Dy, float[] Gamma,
                                                  float[] Mean, float[] InvStd, double[] MeanRef, double[] InvRef);

    /// <summary>Backward against the reference: accumulates into dγ, dβ (start from 1), writes dx; then dβ alone.</summary>
    private static bool CheckBatchNormBackward(in BatchNormBatch batch, out string detail)
    {
        var (name, rows, channels, x, dy, gamma, mean, invStd, meanRef, invRef) = batch;
        int count = rows * channels;
        bool affine = gamma.Length > 0;
        var dx = new float[count];
        float[] dgamma = new float[channels], dbeta = new float[channels];
        Array.Fill(dgamma, 1f);
        Array.Fill(dbeta, 1f);
        BatchNorm.Backward(dx, dgamma, dbeta, dy, x, mean, invStd, gamma, rows, channels);
        double[] dxRef = new double[count], dgRef = new double[channels], dbRef = new double[channels];
        BatchNormReference.Backward(dxRef, dgRef, dbRef, ToDouble(dy), ToDouble(x), meanRef, invRef, ToDouble(gamma), rows, channels);
        for (int c = 0; c < channels; c++)
        {
            double absDy = 0, absDyXhat = 0;
            for (int r = 0; r < rows; r++)
            {
                int i = r * channels + c;
                absDy += Math.Abs(dy[i]);
                absDyXhat += Math.Abs(dy[i] * (x[i] - meanRef[c]) * invRef[c]);
            }
            double cancel = 1 + Math.Abs(meanRef[c]) * invRef[c];
            if (!Near(dbeta[c], 1 + dbRef[c], 3e-5 * absDy + 1e-6)
                || !Near(dgamma[c], 1 + dgRef[c], 3e-5 * absDyXhat * cancel + 1e-6))
                return Fail(out detail, $"{name}: channel {c} dγ/dβ {dgamma[c] - 1}/{dbeta[c] - 1}, expected {dgRef[c]}/{dbRef[c]}");
        }
        for (int i = 0; i < count; i++)
        {
            int c = i % channels;
            double k = (affine ? Math.Abs(gamma[c]) : 1) * invRef[c];
            double xhat = Math.Abs(x[i] - meanRef[c]) * invRef[c];
            double tolerance = 3e-5 * k * (1 + xhat) * (1 + Math.Abs(meanRef[c]) * invRef[c]);
            if (!Near(dx[i], dxRef[i], tolerance)) return Fail(out detail, $"{name}: dx[{i}] = {dx[i]}, expected {dxRef[i]} (±{tolerance:G3})");
        }

        // Skipping dx and dγ leaves them alone and still accumulates dβ.
        float[] dbetaOnly = new float[channels];
        BatchNorm.Backward([], [], dbetaOnly, dy, x, mean, invStd, gamma, rows, channels);
        for (int c = 0; c < channels; c++)
            if (!Near(dbetaOnly[c], dbeta[c] - 1, 1e-6 * (1 + Math.Abs(dbeta[c]))))
                return Fail(out detail, $"{name}: dβ alone {dbetaOnly[c]}, with the rest {dbeta[c] - 1}");
        detail = $"ok {name}";
        return true;
    }

    /// <summary>Forward and backward over values spread across [−12, 12] (and a few wider), against the double reference.</summary>
    public static bool CheckGelu(int length, Random rng, out string detail)
    {
        string name = $"gelu length={length}";
        var x = new float[length];
        for (int i = 0; i < length; i++)
            x[i] = (float)(i % 7 == 0 ? rng.NextDouble() * 40 - 20 : i % 2 == 0 ? Gaussian(rng) * 2 : rng.NextDouble() * 24 - 12);
        var dy = Fill(rng, length, -2, 2);
        var y = new float[length];
        var dx = new float[length];
        Gelu.Forward(y, x);
        Gelu.Backward(dx, dy, x);
        for (int i = 0; i < length; i++)
        {
            double want = GeluReference.Forward(x[i]), slope = GeluReference.Slope(x[i]);
            if (!Near(y[i], want, ForwardTolerance(x[i], want)))
                return Fail(out detail, $"{name}: gelu({x[i]:R}) = {y[i]:R}, expected {want:R}");
            if (!Near(dx[i], dy[i] * slope, SlopeTolerance(x[i]) * Math.Abs(dy[i])))
                return Fail(out detail, $"{name}: gelu'({x[i]:R})·{dy[i]:R} = {dx[i]:R}, expected {dy[i] * slope:R}");
        }
        // In place gives the same bits.
        var inPlace = (float[])x.Clone();
        Gelu.Forward(inPlace, inPlace);
        var gradInPlace = (float[])dy.Clone();
        Gelu.Backward(gradInPlace, gradInPlace, x);
        if (!inPlace.AsSpan().SequenceEqual(y) || !gradInPlace.AsSpan().SequenceEqual(dx))
            return Fail(out detail, $"{name}: in-place results differ");
        detail = $"ok {name}";
        return true;
    }

    /// <summary>|error| of GELU(x) in float: ~1e-7 on Φ times |x|, plus rounding of the product.</summary>
    public static double ForwardTolerance(double x, double y) => 1.5e-7 * Math.Abs(x) + 1.2e-7 * Math.Abs(y) + 1e-37;

    /// <summary>|error| of Φ(x) + x·φ(x) in float.</summary>
    public static double SlopeTolerance(double x) => 2.5e-7 * (1 + Math.Min(Math.Abs(x), 10)) + 1e-37;

    /// <summary>NaN, ±∞, ±0, extremes and the branch points of Φ, on every lane position and in the scalar tail.</summary>
    public static bool CheckGeluSpecialValues(out string detail)
    {
        float[] values = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.MaxValue, float.MinValue,
            1e-30f, -1e-30f, float.Epsilon, 1.41421354f, 1.41421366f, -1.41421354f, -1.41421366f, 10f, -10f, 10.5f, -10.5f, 30f, -30f];
        foreach (int shift in new[] { 0, 1, 7, 16, 17 })   // land each value on a different lane
        {
            var x = new float[shift + values.Length];
            values.CopyTo(x, shift);
            var y = new float[x.Length];
            var dx = new float[x.Length];
            var ones = new float[x.Length];
            Array.Fill(ones, 1f);
            Gelu.Forward(y, x);
            Gelu.Backward(dx, ones, x);
            for (int j = 0; j < values.Length; j++)
            {
                float v = values[j], got = y[shift + j], slope = dx[shift + j];
                bool ok = float.IsNaN(v) ? float.IsNaN(got) && float.IsNaN(slope)
                    : float.IsPositiveInfinity(v) ? float.IsPositiveInfinity(got) && slope == 1f
                    : float.IsNegativeInfinity(v) ? got == 0f && slope == 0f
                    : v == float.MaxValue ? got == v && slope == 1f
                    : v < -10 ? got == 0f && slope == 0f
                    : Near(got, GeluReference.Forward(v), ForwardTolerance(v, GeluReference.Forward(v)))
                      && Near(slope, GeluReference.Slope(v), SlopeTolerance(v));
                if (!ok) return Fail(out detail, $"gelu special: gelu({v:R}) = {got:R}, slope {slope:R} (lane offset {shift})");
            }
        }
        detail = "ok gelu special values";
        return true;
    }

    /// <summary>
    /// Φ over a dense grid of [−10, 10]: absolute error ≤ 1.5e-7 everywhere, and relative error ≤ 5e-7 (4e-6 without FMA) in the
    /// negative tail (which is computed as e^(−x²/2)·S(1/|x|), not as 1 − something).
    /// </summary>
    public static bool CheckNormalCdf(out string detail)
    {
        const int n = 20001;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -10f + 20f * i / (n - 1);
        var p = new float[n];
        Gelu.NormalCdf(p, x);
        double worstAbs = 0, worstRel = 0;
        for (int i = 0; i < n; i++)
        {
            double want = GeluReference.NormalCdf(x[i]), error = Math.Abs(p[i] - want);
            worstAbs = Math.Max(worstAbs, error);
            if (x[i] < -1.5f) worstRel = Math.Max(worstRel, error / want);
        }
        // Without FMA, x² = hi + lo is no longer exact and e^(−x²/2) loses up to x²/2 ulps at the clamp.
        double relLimit = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? 0.5e-6 : 4e-6;
        if (worstAbs > 1.5e-7 || worstRel > relLimit)
            return Fail(out detail, $"normal cdf: worst absolute error {worstAbs:G3} (limit 1.5e-7), worst relative error in the negative tail {worstRel:G3} (limit {relLimit:G3})");
        detail = $"ok normal cdf (abs {worstAbs:G3}, tail rel {worstRel:G3})";
        return true;
    }

    public static bool CheckGlobalAveragePool(int batch, int positions, int channels, Random rng, out string detail)
    {
        string name = $"gap batch={batch} positions={positions} channels={channels}";
        var x = Fill(rng, batch * positions * channels, -3, 5);
        var y = new float[batch * channels];
        GlobalAveragePool.Forward(y, x, batch, positions, channels);
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, abs = 0;
            for (int p = 0; p < positions; p++)
            {
                double v = x[(n * positions + p) * channels + c];
                sum += v;
                abs += Math.Abs(v);
            }
            if (!Near(y[n * channels + c], sum / positions, 1.2e-7 * (positions + 2) * abs / positions))
                return Fail(out detail, $"{name}: y[{n},{c}] = {y[n * channels + c]}, expected {sum / positions}");
        }
        var dy = Fill(rng, batch * channels, -1, 1);
        var dx = Fill(rng, batch * positions * channels, -1, 1);
        GlobalAveragePool.Backward(dx, dy, batch, positions, channels);
        for (int i = 0; i < dx.Length; i++)
        {
            int n = i / (positions * channels), c = i % channels;
            if (dx[i] != dy[n * channels + c] * (1f / positions))
                return Fail(out detail, $"{name}: dx[{i}] = {dx[i]}, expected {dy[n * channels + c] / positions}");
        }
        detail = $"ok {name}";
        return true;
    }

    public static bool CheckCrossEntropy(int batch, int classes, float smoothing, Random rng, out string detail)
    {
        string name = $"cross-entropy batch={batch} classes={classes} smoothing={smoothing}";
        var logits = Fill(rng, batch * classes, -8, 8);
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.Next(classes);
        float scale = 1f / batch;
        var grad = new float[batch * classes];
        var crossEntropy = new Losses.SparseCategoricalCrossentropy(fromLogits: true, labelSmoothing: smoothing);
        double loss = crossEntropy.Compute(grad, logits, labels, classes, scale);
        double lossOnly = crossEntropy.Compute([], logits, labels, classes, scale);
        var gradRef = new double[batch * classes];
        double lossRef = LabelSmoothedCrossEntropyReference.Compute(gradRef, ToDouble(logits), labels, classes, smoothing, scale);
        if (!Near(loss, lossRef, 1e-6 * (1 + Math.Abs(lossRef))) || !Near(lossOnly, lossRef, 1e-6 * (1 + Math.Abs(lossRef))))
            return Fail(out detail, $"{name}: loss {loss} (without gradient {lossOnly}), expected {lossRef}");
        for (int i = 0; i < grad.Length; i++)
            if (!Near(grad[i], gradRef[i], 1e-6 * scale))
                return Fail(out detail, $"{name}: grad[{i}] = {grad[i]}, expected {gradRef[i]}");
        detail = $"ok {name}";
        return true;
    }

    private static bool Near(double got, double want, double tolerance) => Math.Abs(got - want) <= tolerance;

    private static bool Fail(out string detail, string message)
    {
        detail = "FAIL " + message;
        return false;
    }

    public static float[] Fill(Random rng, int count, double lo, double hi)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return v;
    }

    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static double[] ToDouble(float[] v) => Array.ConvertAll(v, f => (double)f);
}
