using System.Text.RegularExpressions;
using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public partial class ReportTests
{
    /// <summary>A report with every part filled, its text sprinkled with characters HTML must escape.</summary>
    internal static ReportContent FullContent()
    {
        var (images, labels) = RandomImages(40);
        float[] probabilities = Probabilities(labels);
        var history = History(4);
        var confusion = ConfusionMatrix.FromProbabilities(labels, probabilities, 10);
        return new ReportContent
        {
            Title = "Run <1> & \"friends\"",
            Subtitle = "runs/<today>",
            Settings = [new("epochs", "4"), new("optimizer", "Adam(learning_rate=0.001) <b>")],
            ModelSummary = "Model: \"sequential\"\n conv2d (Conv2D)  (None, 30, 30, 32)  896\n<script>alert(1)</script>",
            TestLoss = 1.5843,
            TestAccuracy = confusion.Accuracy,
            ClassNames = Cifar10Classes,
            Confusion = confusion,
            History = history,
            Figures =
            [
                new("Training samples", ImageGrid.Samples(images, labels, Cifar10Classes), "25 random <training> images"),
                new("Loss", Charts.Loss(history)),
                new("Accuracy", Charts.Accuracy(history)),
                new("Predictions", ImageGrid.Predictions(images, labels, probabilities, Cifar10Classes)),
                new("Confusion matrix", Charts.ConfusionMatrix(confusion, Cifar10Classes)),
            ],
        };
    }

    [Fact]
    public void Every_picture_is_an_embedded_png_with_its_size()
    {
        ReportContent content = FullContent();
        string html = Report.ToHtml(content);

        var images = ImgTag().Matches(html);
        Assert.Equal(content.Figures.Count, images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            byte[] png = Convert.FromBase64String(images[i].Groups["data"].Value);
            Assert.Equal(content.Figures[i].Png, png);
            using SKBitmap bitmap = Decode(png);
            Assert.Equal($"{bitmap.Width}x{bitmap.Height}", $"{images[i].Groups["w"].Value}x{images[i].Groups["h"].Value}");
        }
    }

    [Fact]
    public void All_text_is_html_encoded()
    {
        string html = Report.ToHtml(FullContent());

        Assert.Contains("<title>Run &lt;1&gt; &amp; &quot;friends&quot;</title>", html);
        Assert.Contains("runs/&lt;today&gt;", html);
        Assert.Contains("Adam(learning_rate=0.001) &lt;b&gt;", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("25 random &lt;training&gt; images", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html);
    }

    [Fact]
    public void The_page_is_self_contained()
    {
        string html = Report.ToHtml(FullContent());

        Assert.DoesNotMatch(@"https?://", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("<link", html);
        Assert.Contains($"content=\"{Report.ContentSecurityPolicy}\"", html);
        Assert.StartsWith("<!DOCTYPE html>", html);
    }

    [Fact]
    public void Metrics_tables_have_a_row_per_class_and_per_epoch()
    {
        ReportContent content = FullContent();
        string html = Report.ToHtml(content);

        string classes = Between(html, "<table class=\"classes\">", "</table>");
        Assert.Equal(10, Regex.Matches(classes, "<tr><td>").Count);
        Assert.Contains("<td>airplane</td>", classes);
        string epochs = Between(html, "<table class=\"epochs\">", "</table>");
        Assert.Equal(4, Regex.Matches(epochs, "<tr[ >]").Count - 1); // minus the header row
        Assert.Contains("1.5843", html);
        Assert.Contains($"{content.TestAccuracy * 100:0.00}%", html);
    }

    [Fact]
    public void An_empty_class_shows_a_dash_not_zero_percent()
    {
        var content = new ReportContent
        {
            ClassNames = ["a", "b"],
            Confusion = ConfusionMatrix.FromLabels([0, 0], [0, 1], 2),
        };
        string classes = Between(Report.ToHtml(content), "<table class=\"classes\">", "</table>");
        Assert.Contains("<td>b</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">–</td>", classes);
    }

    [Fact]
    public void A_title_alone_makes_a_valid_page_and_inconsistent_content_is_refused()
    {
        string html = Report.ToHtml(new ReportContent { Title = "Only a title" });
        Assert.Contains("<h1>Only a title</h1>", html);
        Assert.DoesNotContain("<section", html);
        Assert.EndsWith("</html>\n", html);

        var e = Assert.Throws<ArgumentException>(() => Report.ToHtml(new ReportContent { Figures = [new("Broken", [1, 2, 3])] }));
        Assert.Contains("figure 'Broken' must be PNG bytes", e.Message);

        e = Assert.Throws<ArgumentException>(() => Report.ToHtml(new ReportContent { ClassNames = ["a"], Confusion = new ConfusionMatrix(new int[2, 2]) }));
        Assert.Contains("ClassNames must name the confusion matrix's 2 classes; got 1", e.Message);
    }

    [Fact]
    public void WriteHtml_writes_utf8_into_a_new_folder()
    {
        using var temp = new TempFolder();
        string path = temp.Path("run/report.html");
        Report.WriteHtml(path, new ReportContent { Title = "Accuracy – 71 %" });
        Assert.Contains("Accuracy – 71 %", File.ReadAllText(path, System.Text.Encoding.UTF8));
    }

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{start}' not found");
        int to = text.IndexOf(end, from, StringComparison.Ordinal);
        return text[from..to];
    }

    [GeneratedRegex("<img src=\"data:image/png;base64,(?<data>[A-Za-z0-9+/=]+)\" width=\"(?<w>\\d+)\" height=\"(?<h>\\d+)\"")]
    private static partial Regex ImgTag();
}
