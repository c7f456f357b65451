using System.Globalization;
using Fovea.Data;
using Fovea.Models;

namespace Fovea.Benchmarks;

/// <summary>
/// What Winograd's rounding does to a trained model's predictions: <c>dotnet run -c Release --project
/// bench/Fovea.Benchmarks -- --winograd-accuracy MODEL.safetensors [--cifar PATH] [--batch 500]</c> predicts CIFAR-10's
/// test set with the exact im2col arithmetic, with F(2×2, 3×3) and with F(4×4, 3×3) on the layers each takes, and
/// prints each one's accuracy, the largest difference of a probability from im2col's and the predictions that change.
/// </summary>
internal static class WinogradAccuracy
{
    public static void Run(string[] args)
    {
        string model = args.Length > 0 ? args[0] : throw new ArgumentException("--winograd-accuracy needs a model file");
        string cifar = "cifar-10-binary.tar.gz";
        int batch = 500;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--cifar": cifar = args[i + 1]; break;
                case "--batch": batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}; expected --cifar or --batch");
            }
        }
        var m = Model.Load(model).Model;
        var test = Cifar10.Load(cifar, trainLimit: 1).Test;
        float[] Predict(WinogradUse use, bool f4)
        {
            var (savedUse, savedOptions) = (Engine.Winograd, Engine.KernelOptions);
            Engine.Winograd = use;
            Engine.KernelOptions = savedOptions with { WinogradF4 = f4 };
            try { return m.Predict(test.Images, batch).Data; }
            finally { (Engine.Winograd, Engine.KernelOptions) = (savedUse, savedOptions); }
        }
        var exact = Predict(WinogradUse.Never, f4: false);
        int classes = exact.Length / test.Labels.Length;
        Report("im2col", exact, exact, test.Labels, classes);
        Report("winograd_f2", Predict(WinogradUse.Inference, f4: false), exact, test.Labels, classes);
        Report("winograd_f4", Predict(WinogradUse.Inference, f4: true), exact, test.Labels, classes);
    }

    private static void Report(string name, float[] p, float[] exact, IReadOnlyList<int> labels, int classes)
    {
        int correct = 0, changed = 0;
        double worst = 0;
        for (int n = 0; n < labels.Count; n++)
        {
            int best = ArgMax(p, n * classes, classes), bestExact = ArgMax(exact, n * classes, classes);
            if (best == labels[n]) correct++;
            if (best != bestExact) changed++;
            for (int k = 0; k < classes; k++) worst = Math.Max(worst, Math.Abs(p[n * classes + k] - exact[n * classes + k]));
        }
        Console.WriteLine(FormattableString.Invariant($"{name}.accuracy={(double)correct / labels.Count:F4} {name}.max_abs_probability_diff={worst:E2} {name}.changed_predictions={changed}"));
    }

    private static int ArgMax(float[] p, int offset, int count)
    {
        int best = 0;
        for (int k = 1; k < count; k++) if (p[offset + k] > p[offset + best]) best = k;
        return best;
    }
}
