using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using Fovea.Imaging;
using Fovea.Training;

namespace Fovea.Visualization;

/// <summary>
/// The run as one self-contained HTML page: settings, model summary, metrics and every picture, with the PNGs
/// embedded as <c>data:</c> URIs and the CSS inline, so the single file can be mailed or archived and still opens
/// offline. The page has no scripts, and its Content-Security-Policy forbids any fetch, so it cannot reach the
/// network even by mistake.
/// </summary>
public static class Report
{
    /// <summary>Forbids everything but inline CSS and data: images.</summary>
    internal const string ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

    /// <summary>Writes <see cref="ToHtml"/>'s page to <paramref name="path"/> as UTF-8.</summary>
    public static void WriteHtml(string path, ReportContent content) =>
        Bitmaps.WriteFile(path, Encoding.UTF8.GetBytes(ToHtml(content)));

    /// <summary>The page as a string: one HTML document with every picture and style inside it.</summary>
    public static string ToHtml(ReportContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var html = new StringBuilder(64 * 1024 + content.Figures.Sum(f => f.Png.Length * 4 / 3));
        html.Append($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="{ContentSecurityPolicy}">
            <meta name="generator" content="Fovea">
            <title>{Encode(content.Title)}</title>
            <style>{Css}</style>
            </head>
            <body>
            <div class="page">
            <header>
            <h1>{Encode(content.Title)}</h1>

            """);
        if (!string.IsNullOrEmpty(content.Subtitle)) html.Append($"<p class=\"sub\">{Encode(content.Subtitle)}</p>\n");
        html.Append("</header>\n");

        AppendHeadline(html, content);
        AppendSettings(html, content.Settings.ToList());
        if (!string.IsNullOrWhiteSpace(content.ModelSummary))
            html.Append($"<section id=\"model\">\n<h2>Model</h2>\n<pre>{Encode(content.ModelSummary.TrimEnd())}</pre>\n</section>\n");
        AppendMetrics(html, content);
        if (content.ErrorAnalysis is { } analysis) ErrorAnalysisSection.Append(html, analysis);
        AppendFigures(html, content.Figures);

        html.Append("<footer>Made by Fovea. This page is self-contained: it loads nothing from the network.</footer>\n</div>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The headline numbers as cards across the top.</summary>
    private static void AppendHeadline(StringBuilder html, ReportContent content)
    {
        var cards = new List<(string Label, string Value)>();
        if (content.TestAccuracy is double accuracy) cards.Add(("Test accuracy", Percent(accuracy)));
        if (content.TestLoss is double loss) cards.Add(("Test loss", Number(loss)));
        if (content.History is { Epochs.Count: > 0 } history)
        {
            cards.Add(("Epochs", history.Epochs.Count.ToString(CultureInfo.InvariantCulture)));
            cards.Add(("Training time", Duration(history.Epochs.Sum(e => e.Seconds))));
        }
        if (cards.Count == 0) return;
        html.Append("<div class=\"cards\">\n");
        foreach (var (label, value) in cards)
            html.Append($"<div class=\"card\"><div class=\"label\">{Encode(label)}</div><div class=\"value\">{Encode(value)}</div></div>\n");
        html.Append("</div>\n");
    }

    private static void AppendSettings(StringBuilder html, List<KeyValuePair<string, string>> settings)
    {
        if (settings.Count == 0) return;
        html.Append("<section id=\"settings\">\n<h2>Run settings</h2>\n<table class=\"kv\">\n<tbody>\n");
        foreach (var (key, value) in settings)
            html.Append($"<tr><th scope=\"row\">{Encode(key)}</th><td>{Encode(value)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void AppendMetrics(StringBuilder html, ReportContent content)
    {
        bool hasTest = content.TestLoss.HasValue || content.TestAccuracy.HasValue;
        if (content.Confusion is { } confusion && content.ClassNames.Count != confusion.ClassCount)
            throw new ArgumentException($"ClassNames must name the confusion matrix's {confusion.ClassCount} classes; got {content.ClassNames.Count}", nameof(content));
        bool hasClasses = content.Confusion is not null;
        bool hasEpochs = content.History is { Epochs.Count: > 0 };
        if (!hasTest && !hasClasses && !hasEpochs) return;
        html.Append("<section id=\"metrics\">\n<h2>Metrics</h2>\n");

        if (hasTest)
        {
            html.Append("<h3>Test set</h3>\n<table class=\"kv\">\n<tbody>\n");
            if (content.TestLoss is double loss) html.Append($"<tr><th scope=\"row\">Loss</th><td class=\"num\">{Number(loss)}</td></tr>\n");
            if (content.TestAccuracy is double accuracy) html.Append($"<tr><th scope=\"row\">Accuracy</th><td class=\"num\">{Percent(accuracy)}</td></tr>\n");
            if (content.Confusion is { } matrix) html.Append($"<tr><th scope=\"row\">Images</th><td class=\"num\">{matrix.Total.ToString("N0", CultureInfo.InvariantCulture)}</td></tr>\n");
            html.Append("</tbody>\n</table>\n");
        }

        if (hasClasses) AppendPerClass(html, content.Confusion!, content.ClassNames);
        if (hasEpochs) AppendEpochs(html, content.History!);
        html.Append("</section>\n");
    }

    private static void AppendPerClass(StringBuilder html, ConfusionMatrix matrix, IReadOnlyList<string> classNames)
    {
        double[] accuracy = matrix.PerClassAccuracy();
        html.Append("""
            <h3>Per-class accuracy</h3>
            <table class="classes">
            <thead><tr><th>Class</th><th class="num">Correct</th><th class="num">Images</th><th class="num">Accuracy</th><th class="barcol"></th></tr></thead>
            <tbody>

            """);
        for (int c = 0; c < matrix.ClassCount; c++)
        {
            string share = double.IsNaN(accuracy[c]) ? "–" : Percent(accuracy[c]);
            string width = double.IsNaN(accuracy[c]) ? "0" : (accuracy[c] * 100).ToString("0.#", CultureInfo.InvariantCulture);
            html.Append($"<tr><td>{Encode(classNames[c])}</td><td class=\"num\">{matrix[c, c].ToString("N0", CultureInfo.InvariantCulture)}</td>" +
                        $"<td class=\"num\">{matrix.Support(c).ToString("N0", CultureInfo.InvariantCulture)}</td><td class=\"num\">{share}</td>" +
                        $"<td class=\"barcol\"><div class=\"bar\"><span style=\"width:{width}%\"></span></div></td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    private static void AppendEpochs(StringBuilder html, History history)
    {
        // The best validation epoch is marked: it is the one a reader looks for first (and where to stop early).
        EpochLog? best = history.Epochs.Where(e => e.ValLoss.HasValue).MinBy(e => e.ValLoss);
        html.Append("""
            <h3>Epochs</h3>
            <table class="epochs">
            <thead><tr><th class="num">Epoch</th><th class="num">loss</th><th class="num">accuracy</th><th class="num">val_loss</th><th class="num">val_accuracy</th><th class="num">seconds</th></tr></thead>
            <tbody>

            """);
        foreach (EpochLog e in history.Epochs)
        {
            string mark = ReferenceEquals(e, best) ? " class=\"best\" title=\"lowest val_loss\"" : "";
            html.Append($"<tr{mark}><td class=\"num\">{e.Epoch.ToString(CultureInfo.InvariantCulture)}</td><td class=\"num\">{Number(e.Loss)}</td>" +
                        $"<td class=\"num\">{Number(e.Accuracy)}</td><td class=\"num\">{Number(e.ValLoss)}</td><td class=\"num\">{Number(e.ValAccuracy)}</td>" +
                        $"<td class=\"num\">{e.Seconds.ToString("0.0", CultureInfo.InvariantCulture)}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    private static void AppendFigures(StringBuilder html, IReadOnlyList<ReportFigure> figures)
    {
        if (figures.Count == 0) return;
        html.Append("<section id=\"pictures\">\n<h2>Pictures</h2>\n");
        foreach (ReportFigure figure in figures) AppendFigure(html, figure);
        html.Append("</section>\n");
    }

    internal static void AppendFigure(StringBuilder html, ReportFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure.Png, nameof(figure.Png));
        (int width, int height) = PngSize(figure.Png, figure.Title);
        html.Append($"<figure>\n<h3>{Encode(figure.Title)}</h3>\n" +
                    $"<img src=\"data:image/png;base64,{Convert.ToBase64String(figure.Png)}\" width=\"{width}\" height=\"{height}\" alt=\"{Encode(figure.Title)}\">\n");
        if (!string.IsNullOrEmpty(figure.Caption)) html.Append($"<figcaption>{Encode(figure.Caption)}</figcaption>\n");
        html.Append("</figure>\n");
    }

    /// <summary>Width and height from a PNG's IHDR chunk: written on the img tag so the page does not jump as it loads.</summary>
    internal static (int Width, int Height) PngSize(byte[] png, string title)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 24 || !png.AsSpan(0, 8).SequenceEqual(signature) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new ArgumentException($"figure '{title}' must be PNG bytes; got {png.Length} bytes that are not a PNG", nameof(png));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    internal static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Number(double? value) => value is double v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    internal static string Percent(double share) => (share * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Duration(double seconds)
    {
        var time = TimeSpan.FromSeconds(Math.Round(seconds));
        return time.TotalHours >= 1 ? $"{(int)time.TotalHours}h {time.Minutes:00}m"
            : time.TotalMinutes >= 1 ? $"{time.Minutes}m {time.Seconds:00}s"
            : $"{seconds.ToString("0.0", CultureInfo.InvariantCulture)}s";
    }

    // System fonts only: the page must render offline, and a web font would need embedding megabytes.
    private const string Css = """

        :root { --ink:#1f2328; --muted:#59636e; --line:#d8dee4; --soft:#f6f8fa; --accent:#0969da; --page:#eef1f4; }
        * { box-sizing:border-box; }
        body { margin:0; background:var(--page); color:var(--ink);
               font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
        .page { max-width:1100px; margin:0 auto; padding:36px 24px 48px; }
        header h1 { font-size:28px; line-height:1.2; margin:0 0 6px; letter-spacing:-0.01em; }
        .sub { color:var(--muted); margin:0; }
        .cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(190px, 1fr)); gap:16px; margin:24px 0 8px; }
        .card, section { background:#fff; border:1px solid var(--line); border-radius:12px; box-shadow:0 1px 2px rgba(31,35,40,.04); }
        .card { padding:14px 18px; }
        .card .label { color:var(--muted); font-size:12px; font-weight:600; text-transform:uppercase; letter-spacing:.06em; }
        .card .value { font-size:28px; font-weight:650; font-variant-numeric:tabular-nums; margin-top:2px; }
        section { padding:22px 26px; margin:16px 0; }
        h2 { font-size:19px; margin:0 0 14px; }
        h3 { font-size:15px; margin:22px 0 8px; color:var(--muted); }
        section > h2 + h3, figure > h3 { margin-top:0; }
        table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
        th, td { text-align:left; padding:7px 12px; border-bottom:1px solid var(--line); vertical-align:top; }
        thead th { font-size:13px; font-weight:600; color:var(--muted); background:var(--soft); }
        tbody tr:last-child > * { border-bottom:none; }
        .num { text-align:right; }
        table.kv { width:auto; min-width:50%; }
        table.kv th { font-weight:600; width:14em; }
        table.kv td { font-family:ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size:14px; }
        table.kv td.num { font-family:inherit; font-size:inherit; }
        tr.best { background:#ddf4ff; }
        table.classes td:first-child { max-width:22em; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
        .barcol { width:40%; }
        .bar { background:var(--soft); border:1px solid var(--line); border-radius:5px; height:12px; margin-top:5px; overflow:hidden; }
        .bar > span { display:block; height:100%; background:var(--accent); }
        pre { margin:0; background:var(--soft); border:1px solid var(--line); border-radius:8px; padding:14px 16px; overflow-x:auto;
              font:13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
        figure { margin:0 0 32px; }
        figure:last-child { margin-bottom:0; }
        figure img { display:block; max-width:100%; height:auto; margin:0 auto; border:1px solid var(--line); border-radius:8px; }
        figcaption { color:var(--muted); font-size:14px; text-align:center; margin-top:8px; }
        footer { color:var(--muted); font-size:13px; text-align:center; margin-top:28px; }

        """;
}
