using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fovea.Visualization;

namespace Fovea.Tests.Visualization;

/// <summary>
/// Opens the report in a real browser (headless Chromium) and checks that every picture decodes and the page logs
/// nothing to the console: no blocked fetch, no CSP violation, no script error.
/// </summary>
public partial class ReportBrowserTests
{
    internal const string Chromium = "/usr/bin/chromium";

    // Injected into a copy of the report (the report itself has no scripts). It records load errors and CSP
    // violations as they happen, and on load writes the image check into the DOM, which --dump-dom prints.
    private const string Checker = """
        (() => {
          const errors = [];
          window.addEventListener('error', e => errors.push('error ' + (e.message || (e.target && e.target.tagName))), true);
          document.addEventListener('securitypolicyviolation', e => errors.push('csp ' + e.violatedDirective + ' ' + e.blockedURI));
          window.addEventListener('load', () => {
            const images = Array.from(document.images);
            const decoded = images.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length;
            const result = document.createElement('div');
            result.id = 'fovea-check';
            result.textContent = 'images ' + decoded + '/' + images.length + ' errors ' + errors.length + (errors.length ? ': ' + errors.join(' | ') : '');
            document.body.appendChild(result);
          });
        })();
        """;

    [ChromiumFact]
    public void Report_opens_in_chromium_with_every_image_decoded_and_no_console_errors()
    {
        using var temp = new TempFolder();
        ReportContent content = ReportTests.FullContent();
        string html = Report.ToHtml(content);
        string page = temp.Path("checked-report.html");
        File.WriteAllText(page, WithChecker(html), Encoding.UTF8);

        var result = ExternalProcess.Run(Chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={temp.Path("profile")}",
                "--enable-logging=stderr", "--v=0",
                "--virtual-time-budget=10000", // lets the load event and its handler run before the DOM is dumped
                "--dump-dom", new Uri(page).AbsoluteUri,
            ],
            TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, $"chromium exited with {result.ExitCode}:\n{result.StandardError}");
        Match check = CheckResult().Match(result.StandardOutput);
        Assert.True(check.Success, $"the checker wrote no result; DOM tail:\n{result.StandardOutput[^Math.Min(2000, result.StandardOutput.Length)..]}");
        Assert.Equal($"images {content.Figures.Count}/{content.Figures.Count} errors 0", check.Groups[1].Value);

        // Chromium logs every console message, including CSP refusals and uncaught errors, as ":CONSOLE" lines.
        string[] console = result.StandardError.Split('\n').Where(line => line.Contains(":CONSOLE", StringComparison.Ordinal) || line.Contains("Uncaught", StringComparison.Ordinal)).ToArray();
        Assert.True(console.Length == 0, "console output:\n" + string.Join('\n', console));
    }

    /// <summary>
    /// The report with the checker script in its head, and the script's hash added to the page's CSP so the policy
    /// itself stays in force (a fetch the report should not make is still refused, and logged).
    /// </summary>
    internal static string WithChecker(string html)
    {
        string hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Checker)));
        string policy = $"content=\"{Report.ContentSecurityPolicy}\"";
        Assert.Contains(policy, html);
        string withPolicy = html.Replace(policy, $"content=\"{Report.ContentSecurityPolicy}; script-src 'sha256-{hash}'\"", StringComparison.Ordinal);
        int head = withPolicy.IndexOf("</head>", StringComparison.Ordinal);
        return withPolicy[..head] + "<script>" + Checker + "</script>\n" + withPolicy[head..];
    }

    [GeneratedRegex("<div id=\"fovea-check\">([^<]*)</div>")]
    private static partial Regex CheckResult();
}
