using System.Globalization;
using System.Text.RegularExpressions;
using Fovea.Data;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Training;
using Fovea.Optimizers;
using Fovea.Tests.Data;
using Fovea.Tests.Models;
using Fovea.Zoo;

namespace Fovea.Tests.Cli;

/// <summary>
/// <c>fovea evaluate --tta</c> reports what the library's <c>Model.Evaluate</c> with the same test-time augmentation
/// computes on the same images. In the engine-settings collection: the in-process side pins Winograd's use, as the
/// child's clean environment does.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public partial class EvaluateTtaTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [GeneratedRegex(@"^test_loss: (\S+) - test_accuracy: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();

    [Theory]
    [InlineData(TestTimeAugmentation.Mirror)]
    [InlineData(TestTimeAugmentation.MirrorTranslate)]
    public void Evaluate_with_tta_reports_the_library_figures(TestTimeAugmentation tta)
    {
        string archive = new FakeCifar10 { TestCount = 60 }.WriteArchive(_temp["cifar.tar.gz"]);
        string saved = _temp["model.safetensors"];
        var model = ModelZoo.SeedCnn(seed: 8);
        model.Build();
        // Doubled weights: outputs far from uniform, so that augmentations move the loss in its fourth decimal.
        foreach (ref float w in model.WeightBlock.AsSpan()) w *= 2;
        model.Save(saved, FakeCifar10.OfficialClassNames);

        var (code, stdout, stderr) = FoveaProcess.Run(_temp["home"], "evaluate", "--model", saved, "--data", archive, "--tta", tta.ToString(), "--threads", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains($"60 test images of CIFAR-10, test-time augmentation {tta}", stdout);
        Match reported = ResultLine().Match(stdout);
        Assert.True(reported.Success, stdout);

        using var winograd = new EngineWinograd(WinogradUse.Inference);
        var test = Cifar10.Load(archive).Test;
        var loaded = Model.Load(saved).Model;
        loaded.Compile(new Adam(), new SparseCategoricalCrossentropy());
        var expected = loaded.Evaluate(test.Images, test.Labels, batchSize: 64, tta);
        var plain = loaded.Evaluate(test.Images, test.Labels, batchSize: 64);
        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

        Assert.Equal(F(expected.Loss), reported.Groups[1].Value);
        Assert.Equal(F(expected.Accuracy), reported.Groups[2].Value);
        Assert.NotEqual(F(plain.Loss), F(expected.Loss)); // else the option could be ignored and this test would not see it
    }
}
