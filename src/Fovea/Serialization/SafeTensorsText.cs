using System.Globalization;
using System.Text;

namespace Fovea.Serialization;

/// <summary>
/// Puts text taken from a file into an error message. Names and values in a hostile file can be megabytes long or
/// hold line breaks, and FoveaException messages must stay one readable line.
/// </summary>
internal static class SafeTensorsText
{
    private const int MaxQuotedChars = 64;

    /// <summary><c>'dense/kernel'</c>; control characters escaped, long text cut with an ellipsis.</summary>
    public static string Quote(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, MaxQuotedChars) + 8);
        sb.Append('\'');
        for (int i = 0; i < text.Length && i < MaxQuotedChars; i++)
        {
            char c = text[i];
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else
                sb.Append(c);
        }
        if (text.Length > MaxQuotedChars) sb.Append('…');
        sb.Append('\'');
        return sb.ToString();
    }

    /// <summary>Raw bytes of a JSON token, e.g. a number too large to parse, as message text.</summary>
    public static string Token(ReadOnlySpan<byte> utf8) =>
        Quote(Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, (MaxQuotedChars + 1) * 4)]))[1..^1];

    /// <summary>1,024: byte counts and offsets with thousands separators, as people read them.</summary>
    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Another component's message (an exception from the file system) made one line.</summary>
    public static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").Trim();
}
