using Fovea.Evaluation;
using Fovea.Tests.Evaluation;
using Fovea.Visualization;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public class ErrorAnalysisReportTests
{
    private static ErrorAnalysis Analysis(int count = 200)
    {
        var (images, _) = RandomImages(count);
        // Labels drawn at T = 2 from logits the model reports at T = 1: over-confident, as trained networks are.
        var (logits, labels) = SyntheticLogits.Make(count, 10, temperature: 2);
        return ErrorAnalysis.Create(images, labels, SyntheticLogits.Softmax(logits, 10), Cifar10Classes, topLosses: 9);
    }

    [Fact]
    public void Create_fits_a_temperature_and_draws_both_pictures()
    {
        ErrorAnalysis analysis = Analysis();
        Assert.True(analysis.Temperature > 1, $"T = {analysis.Temperature}");
        Assert.True(analysis.Calibrated!.ExpectedCalibrationError < analysis.Reliability.ExpectedCalibrationError);
        Assert.Equal(analysis.Reliability.Accuracy, analysis.Calibrated.Accuracy);
        Assert.InRange(analysis.MostConfused.Count, 1, ErrorAnalysis.DefaultMostConfused);
        Assert.True(analysis.MostConfused.Zip(analysis.MostConfused.Skip(1)).All(p => p.First.Count >= p.Second.Count));
        Assert.Equal((2 * ReliabilityChart.PanelWidth, ReliabilityChart.PanelHeight), Report.PngSize(analysis.ReliabilityFigure!.Png, "reliability"));
        Assert.Equal("The 9 images of highest loss", analysis.TopLossesFigure!.Title);
    }

    [Fact]
    public void The_report_shows_the_section_only_when_given()
    {
        ErrorAnalysis analysis = Analysis();
        string html = Report.ToHtml(new ReportContent { ErrorAnalysis = analysis });
        Assert.Contains("<section id=\"calibration\">", html);
        Assert.Contains("Expected calibration error (15 bins)", html);
        Assert.Contains($"{analysis.Reliability.ExpectedCalibrationError * 100:0.00}%", html);
        Assert.Contains($"<td class=\"num\">{analysis.Temperature:0.000}</td>", html);
        ConfusedPair first = analysis.MostConfused[0];
        Assert.Contains($"<tr><td>{first.TrueName}</td><td>{first.PredictedName}</td><td class=\"num\">{first.Count}</td></tr>", html);
        Assert.Equal(2, html.Split("data:image/png;base64,").Length - 1);
        Assert.DoesNotContain("id=\"calibration\"", Report.ToHtml(new ReportContent()));
    }
}
