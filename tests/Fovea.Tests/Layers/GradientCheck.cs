using Fovea.Layers;

namespace Fovea.Tests.Layers;

/// <summary>
/// Finite-difference gradient checks. For a layer f and a fixed random r, L(x, w) = Σ r ⊙ f(x; w); backward with
/// outputGrad = r must give dL/dx and dL/dw, which central differences of L estimate. L is summed in double so
/// that the float forward pass is the only source of rounding, and each gradient is held to a relative tolerance
/// (<see cref="AssertClose"/>) with a floor scaled to the tensor's largest gradient, never to a fixed absolute one.
/// </summary>
internal static class GradientCheck
{
    public static void Layer(Layer layer, Shape inputShape, int batch = 2, long seed = 1, float eps = 1e-2f, double rtol = DefaultRtol,
        Func<Rng, float>? input = null) => Layer(layer, [inputShape], batch, seed, eps, rtol, input);

    /// <summary>The check for a layer of any number of inputs: every input's gradient and every trainable weight's.</summary>
    public static void Layer(Layer layer, Shape[] inputShapes, int batch = 2, long seed = 1, float eps = 1e-2f, double rtol = DefaultRtol,
        Func<Rng, float>? input = null, bool training = true, bool checkWeights = true)
    {
        var rng = new Rng((ulong)seed);
        layer.Build(inputShapes, rng);
        layer.Plan(batch);
        int outSize = (int)layer.OutputShape.Size;
        var xs = inputShapes.Select(s => new float[batch * s.Size]).ToArray();
        foreach (var x in xs)
            for (int i = 0; i < x.Length; i++) x[i] = input?.Invoke(rng) ?? 2 * rng.NextSingle() - 1;
        var r = new float[batch * outSize];
        for (int i = 0; i < r.Length; i++) r[i] = 2 * rng.NextSingle() - 1;
        // Non-zero biases, so that their effect (and ReLU's cut-off) is exercised.
        foreach (var p in layer.TrainableWeights.Where(p => p.Name is "bias" or "beta"))
            for (int i = 0; i < p.Length; i++) p.Value[i] = 0.2f * (2 * rng.NextSingle() - 1);

        var y = new float[batch * outSize];
        double Objective()
        {
            layer.Forward(y, xs, batch, training);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)r[i] * y[i];
            return s;
        }

        Objective();
        var dxs = xs.Select(x => new float[x.Length]).ToArray();
        foreach (var p in layer.TrainableWeights) p.Gradient.Clear();
        layer.Backward(dxs, (float[])r.Clone(), xs, y, batch);

        for (int k = 0; k < xs.Length; k++)
            Compare(xs.Length == 1 ? "input" : $"input {k}", xs[k], dxs[k], Objective, eps, rtol);
        foreach (var p in checkWeights ? layer.TrainableWeights : [])
        {
            var (values, _, offset) = p.Storage;
            var analytic = p.Gradient.ToArray();
            Compare(p.Name, values, analytic, Objective, eps, rtol, offset, p.Length);
        }
    }

    private static void Compare(string what, float[] values, float[] analytic, Func<double> objective, float eps, double rtol,
        int offset = 0, int length = -1)
    {
        if (length < 0) length = values.Length;
        var numeric = new double[length];
        for (int i = 0; i < length; i++) numeric[i] = CentralDifference(values, offset + i, eps, objective);
        objective();
        AssertClose($"gradient of {what}", numeric, analytic.AsSpan(0, length), rtol);
    }

    /// <summary>
    /// (L(x + h) − L(x − h)) / (x₊ − x₋), dividing by the step actually taken: x ± h rounded to float can be a few
    /// percent off h for large x.
    /// </summary>
    public static double CentralDifference(float[] values, int index, float h, Func<double> objective)
    {
        float saved = values[index];
        float up = saved + h, down = saved - h;
        values[index] = up;
        double plus = objective();
        values[index] = down;
        double minus = objective();
        values[index] = saved;
        return (plus - minus) / ((double)up - down);
    }

    /// <summary>
    /// Each analytic gradient within <paramref name="rtol"/> of its finite-difference estimate, relatively, with an
    /// absolute floor of <see cref="FloorFraction"/>·rtol·max|numeric| for entries near zero. A fixed absolute floor
    /// (the old max(1, |n| + |a|) denominator) let a missing term of a gradient under 0.5 pass unseen.
    /// </summary>
    public static void AssertClose(string what, ReadOnlySpan<double> numeric, ReadOnlySpan<float> analytic, double rtol = DefaultRtol)
    {
        double largest = 0;
        foreach (double n in numeric) largest = Math.Max(largest, Math.Abs(n));
        double floor = FloorFraction * largest, worst = 0;
        string detail = "";
        for (int i = 0; i < numeric.Length; i++)
        {
            double error = Math.Abs(numeric[i] - analytic[i]) / (Math.Abs(numeric[i]) + floor + double.Epsilon);
            if (error > worst) (worst, detail) = (error, $"index {i}: numeric {numeric[i]:G6}, analytic {analytic[i]:G6}, largest |numeric| {largest:G3}");
        }
        Assert.True(worst <= rtol, $"{what} is off by {worst:G3} relative (tolerance {rtol}) at {detail}");
    }

    /// <summary>Float forward passes summed in double leave the estimates ~1e-4 relative off at worst (central differences with h = 1e-3 near ReLU's kink).</summary>
    public const double DefaultRtol = 1e-3;

    /// <summary>Entries smaller than this fraction of the largest gradient are held to an absolute rtol·fraction·largest.</summary>
    public const double FloorFraction = 0.3;
}
