using System.Globalization;
using System.Text;
using Fovea.Evaluation;

namespace Fovea.Visualization;

/// <summary>The report's "Calibration and errors" section: the numbers of an <see cref="ErrorAnalysis"/>, its pairs and its pictures.</summary>
internal static class ErrorAnalysisSection
{
    public static void Append(StringBuilder html, ErrorAnalysis analysis)
    {
        ReliabilityDiagram reliability = analysis.Reliability;
        html.Append("<section id=\"calibration\">\n<h2>Calibration and errors</h2>\n<table class=\"kv\">\n<tbody>\n");
        Row(html, $"Expected calibration error ({reliability.Bins.Count} bins)", Report.Percent(reliability.ExpectedCalibrationError));
        Row(html, "Mean confidence", Report.Percent(reliability.Confidence));
        Row(html, "Accuracy", Report.Percent(reliability.Accuracy));
        if (analysis.Temperature is double temperature)
            Row(html, analysis.TemperatureFittedHere ? "Temperature fitted on these images" : "The model's temperature (fitted on its validation images)",
                temperature.ToString("0.000", CultureInfo.InvariantCulture));
        if (analysis.Calibrated is { } calibrated)
            Row(html, analysis.TemperatureFittedHere ? "Expected calibration error after scaling" : "Expected calibration error with the model's temperature",
                Report.Percent(calibrated.ExpectedCalibrationError));
        html.Append("</tbody>\n</table>\n");

        if (analysis.MostConfused.Count > 0)
        {
            html.Append("<h3>Most confused</h3>\n<table class=\"classes\">\n" +
                        "<thead><tr><th>True class</th><th>Predicted as</th><th class=\"num\">Images</th></tr></thead>\n<tbody>\n");
            foreach (ConfusedPair pair in analysis.MostConfused)
                html.Append($"<tr><td>{Report.Encode(pair.TrueName)}</td><td>{Report.Encode(pair.PredictedName)}</td>" +
                            $"<td class=\"num\">{pair.Count.ToString("N0", CultureInfo.InvariantCulture)}</td></tr>\n");
            html.Append("</tbody>\n</table>\n");
        }

        foreach (ReportFigure? figure in new[] { analysis.ReliabilityFigure, analysis.TopLossesFigure })
            if (figure is not null) Report.AppendFigure(html, figure);
        html.Append("</section>\n");
    }

    private static void Row(StringBuilder html, string label, string value) =>
        html.Append($"<tr><th scope=\"row\">{Report.Encode(label)}</th><td class=\"num\">{Report.Encode(value)}</td></tr>\n");
}
