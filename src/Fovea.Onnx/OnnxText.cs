using System.Text;

namespace Fovea.Onnx;

/// <summary>Names from an ONNX file shown in one-line messages: control characters replaced, long names cut.</summary>
internal static class OnnxText
{
    public static string Quote(string? s)
    {
        if (s is null) return "''";
        var b = new StringBuilder(Math.Min(s.Length, 80) + 3).Append('\'');
        foreach (char c in s.Length > 80 ? s[..80] : s) b.Append(char.IsControl(c) ? '?' : c);
        if (s.Length > 80) b.Append('…');
        return b.Append('\'').ToString();
    }
}
