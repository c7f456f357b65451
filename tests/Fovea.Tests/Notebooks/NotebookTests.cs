using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fovea.Tests.Data;
using Xunit.Abstractions;

namespace Fovea.Tests.Notebooks;

/// <summary>
/// SLOW (one to three minutes): executes the notebooks headless with the .NET Interactive kernel, on a small subset
/// (one epoch, a few thousand training images; the test-only fake archive where the real one is absent), and checks
/// what a reader would see: no errors, the tutorial's 167,562-parameter summary, pictures inline, an accuracy line.
/// Run alone with <c>--filter FullyQualifiedName~Notebooks</c>.
/// </summary>
[Collection(NotebookCollection.Name)]
public class NotebookTests(ITestOutputHelper output)
{
    private static readonly Regex AccuracyLine = new(@"test_loss: \d+\.\d{4} - test_accuracy: (0\.\d{4}|1\.0000)");

    [NotebookFact]
    [Trait("Category", "Slow")]
    public void The_tutorial_notebook_runs_every_cell_and_shows_summary_pictures_and_accuracy()
    {
        var notebook = Execute("cifar10-tutorial.ipynb", limit: 2000);

        string text = string.Concat(NotebookRunner.Outputs(notebook).Select(NotebookRunner.Text));
        Assert.Contains("Total params: 167,562", text);
        Assert.Contains(", 32, 32, 3)", text); // xTrain.Shape
        Assert.Matches(AccuracyLine, text);
        Assert.Contains("Epoch 1/1", text);
        // The last cells: a run stopped and resumed from its folder ends where an uninterrupted one does.
        Assert.Contains("same weights, bit for bit: True", text);
        // Samples, loss, accuracy, predictions, confusion matrix.
        AssertPngs(notebook, atLeast: 5);
    }

    [NotebookFact]
    [Trait("Category", "Slow")]
    public void The_modern_recipe_notebook_trains_airbench94_and_evaluates_with_test_time_augmentation()
    {
        var notebook = Execute("modern-recipe.ipynb", limit: 2048);

        string text = string.Concat(NotebookRunner.Outputs(notebook).Select(NotebookRunner.Text));
        Assert.Contains("airbench94", text);
        Assert.Matches(AccuracyLine, text);
        Assert.Matches(@"test_accuracy: (0\.\d{4}|1\.0000) \(test-time augmentation: MirrorTranslate\)", text);
        // The dataset's grid, the history's charts, predictions, confusion matrix.
        AssertPngs(notebook, atLeast: 4);
    }

    [NotebookFact]
    [Trait("Category", "Slow")]
    public void The_explanations_notebook_shows_the_finder_top_losses_reliability_and_grad_cam()
    {
        var notebook = Execute("explanations.ipynb", limit: 2000);

        string text = string.Concat(NotebookRunner.Outputs(notebook).Select(NotebookRunner.Text));
        Assert.Matches(@"suggested learning rate \(valley\): \d\.\d+e-?\d", text);
        Assert.Contains("weights unchanged by the sweep: True", text);
        Assert.Matches(AccuracyLine, text);
        Assert.Contains(" → ", text); // the most confused pairs
        Assert.Contains("ReliabilityDiagram: 2,000 images in 15 bins, ECE", text);
        Assert.Contains("GradCamResult: 6 maps", text);
        // The sweep, the top losses, the reliability diagram, the heatmaps, the heatmaps over their pictures.
        AssertPngs(notebook, atLeast: 5);
    }

    private JsonObject Execute(string name, int limit)
    {
        Assert.True(NotebookRunner.WhyNot is null, NotebookRunner.WhyNot);
        using var temp = new TempFolder();
        string data = RealData.Cifar10ArchivePath ?? new FakeCifar10().WriteArchive(temp["cifar-10-binary.tar.gz"]);
        NotebookRunner.EnsurePacked();
        var (notebook, log) = NotebookRunner.Execute(name, temp.Path, new Dictionary<string, string>
        {
            ["FOVEA_DATA"] = data,
            ["FOVEA_EPOCHS"] = "1",
            ["FOVEA_LIMIT"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        output.WriteLine(log);
        foreach (var o in NotebookRunner.Outputs(notebook))
            output.WriteLine($"[{o["output_type"]}] {Shorten(NotebookRunner.Text(o))}");

        var errors = NotebookRunner.Outputs(notebook).Where(o => (string?)o["output_type"] == "error").ToList();
        Assert.True(errors.Count == 0, "error outputs: " + string.Join("\n", errors.Select(e => $"{e["ename"]}: {e["evalue"]}")));
        Assert.DoesNotContain(NotebookRunner.Outputs(notebook), o => (string?)o["name"] == "stderr");
        return notebook;
    }

    private void AssertPngs(JsonObject notebook, int atLeast)
    {
        string[] pngs = NotebookRunner.Pngs(notebook).ToArray();
        Assert.True(pngs.Length >= atLeast, $"at least {atLeast} PNG images inline; got {pngs.Length}");
        foreach (string png in pngs)
        {
            var (width, height) = FormatterTests.PngSize(png);
            output.WriteLine($"PNG {width}x{height}, {png.Length * 3 / 4:N0} bytes");
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}

/// <summary>The notebook runs share artifacts/packages and the notebooks' package folder: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "Notebooks";
}
