using System.Security.Cryptography;
using System.Text;

namespace Fovea.Serving;

/// <summary>
/// <c>GET /</c>: one self-contained page (inline CSS and script, nothing fetched from elsewhere) where a person picks
/// or drops a picture and sees it beside its most probable classes as bars and, beside those, its Grad-CAM heatmap
/// (<c>POST /explain</c>). Its Content-Security-Policy allows exactly
/// the page's own style and script (by hash), the picture preview (blob:) and requests to this server.
/// </summary>
internal sealed class PredictionPage
{
    private const string ResourceName = "Fovea.Serving.Page.index.html";

    /// <summary>Bars shown at most.</summary>
    private const int MaxBars = 5;

    public PredictionPage(int classCount)
    {
        using Stream stream = typeof(PredictionPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string html = reader.ReadToEnd().Replace("{{TOP}}", Math.Min(MaxBars, classCount).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Html = Encoding.UTF8.GetBytes(html);
        ContentSecurityPolicy =
            $"default-src 'none'; script-src '{Hash(html, "script")}'; style-src '{Hash(html, "style")}'; img-src blob:; " +
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /// <summary>The page, UTF-8.</summary>
    public byte[] Html { get; }

    /// <summary>The policy sent with the page.</summary>
    public string ContentSecurityPolicy { get; }

    /// <summary>The CSP source for the one inline <c>&lt;tag&gt;</c> element: <c>sha256-BASE64</c> of its text as UTF-8.</summary>
    private static string Hash(string html, string tag)
    {
        int open = html.IndexOf($"<{tag}>", StringComparison.Ordinal);
        int close = html.IndexOf($"</{tag}>", StringComparison.Ordinal);
        if (open < 0 || close < open || html.IndexOf($"<{tag}>", open + 1, StringComparison.Ordinal) >= 0)
            throw new InvalidOperationException($"the page must have exactly one <{tag}> element");
        string content = html[(open + tag.Length + 2)..close];
        return "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }
}
