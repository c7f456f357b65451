using Fovea.Layers;

namespace Fovea.Tests.Layers;

/// <summary>
/// Finite-difference gradient checks. For a layer f and a fixed random r, L(x, w) = Σ r ⊙ f(x; w); backward with
/// outputGrad = r must give dL/dx and dL/dw, which central differences of L estimate. L is summed in double so
/// that the float forward pass is the only source of rounding.
/// </summary>
internal static class GradientCheck
{
    public static void Layer(Layer layer, Shape inputShape, int batch = 2, long seed = 1, float eps = 1e-2f, double tolerance = 2e-2,
        Func<Rng, float>? input = null) => Layer(layer, [inputShape], batch, seed, eps, tolerance, input);

    /// <summary>The check for a layer of any number of inputs: every input's gradient and every trainable weight's.</summary>
    public static void Layer(Layer layer, Shape[] inputShapes, int batch = 2, long seed = 1, float eps = 1e-2f, double tolerance = 2e-2,
        Func<Rng, float>? input = null, bool training = true)
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
            Compare(xs.Length == 1 ? "input" : $"input {k}", xs[k], dxs[k], Objective, eps, tolerance);
        foreach (var p in layer.TrainableWeights)
        {
            var (values, _, offset) = p.Storage;
            var analytic = p.Gradient.ToArray();
            Compare(p.Name, values, analytic, Objective, eps, tolerance, offset, p.Length);
        }
    }

    private static void Compare(string what, float[] values, float[] analytic, Func<double> objective, float eps, double tolerance,
        int offset = 0, int length = -1)
    {
        if (length < 0) length = values.Length;
        double worst = 0;
        string detail = "";
        for (int i = 0; i < length; i++)
        {
            float saved = values[offset + i];
            values[offset + i] = saved + eps;
            double plus = objective();
            values[offset + i] = saved - eps;
            double minus = objective();
            values[offset + i] = saved;
            double numeric = (plus - minus) / (2 * eps);
            double error = Math.Abs(numeric - analytic[i]) / Math.Max(1.0, Math.Abs(numeric) + Math.Abs(analytic[i]));
            if (error > worst) (worst, detail) = (error, $"index {i}: numeric {numeric:G6}, analytic {analytic[i]:G6}");
        }
        objective();
        Assert.True(worst <= tolerance, $"gradient of {what} is off by {worst:G3} (tolerance {tolerance}) at {detail}");
    }
}
