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

    [Fact]
    public void With_the_models_temperature_the_diagram_after_and_the_top_losses_are_the_models_calibrated_probabilities()
    {
        var (images, _) = RandomImages(200);
        var (logits, labels) = SyntheticLogits.Make(200, 10, temperature: 2);
        float[] raw = TemperatureScaling.Apply(logits, 10, 1), calibrated = TemperatureScaling.Apply(logits, 10, 1.8);
        ErrorAnalysis analysis = ErrorAnalysis.Create(images, labels, raw, Cifar10Classes, topLosses: 5, modelTemperature: 1.8, calibratedProbabilities: calibrated);
        Assert.False(analysis.TemperatureFittedHere);
        Assert.Equal(1.8, analysis.Temperature);
        Assert.Equal(Calibration.ExpectedCalibrationError(raw, 10, labels), analysis.Reliability.ExpectedCalibrationError);
        Assert.Equal(Calibration.ExpectedCalibrationError(calibrated, 10, labels), analysis.Calibrated!.ExpectedCalibrationError);
        Assert.Equal(TopLosses.Find(calibrated, 10, labels, 5), analysis.TopLosses);
        string html = Report.ToHtml(new ReportContent { ErrorAnalysis = analysis });
        Assert.Contains("temperature (fitted on its validation images)", html);
        Assert.DoesNotContain("Temperature fitted on these images", html);

        // Without the calibrated probabilities, the raw ones are scaled by the temperature.
        ErrorAnalysis derived = ErrorAnalysis.Create(images, labels, raw, Cifar10Classes, topLosses: 5, modelTemperature: 1.8);
        Assert.Equal(analysis.Calibrated.ExpectedCalibrationError, derived.Calibrated!.ExpectedCalibrationError, 6);
    }
}
