using System.Globalization;
using System.Text;

namespace Fovea.IO;

/// <summary>
/// Puts text taken from a file into an error message. Names and values in a hostile file can be megabytes long or
/// hold line breaks, and FoveaException messages must stay one readable line.
/// </summary>
internal static class SafeTensorsText
{
    private const int MaxQuotedChars = 64;

    /// <summary><c>'dense/kernel'</c>; control characters escaped, long text cut with an ellipsis.</summary>
    public static string Quote(string text) => $"'{Escape(text, MaxQuotedChars)}'";

    /// <summary>
    /// <paramref name="text"/> with control characters as \uXXXX, cut with "…" once the result reaches about
    /// <paramref name="maxChars"/> characters: escapes count at their printed length, or a name of control characters
    /// would print six times the limit.
    /// </summary>
    public static string Escape(string text, int maxChars)
    {
        var sb = new StringBuilder(Math.Min(text.Length, maxChars) + 8);
        int i = 0;
        for (; i < text.Length && sb.Length < maxChars; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                sb.Append(c).Append(text[++i]); // a whole pair (an emoji) is text; half of one is not
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else
                sb.Append(c);
        }
        if (i < text.Length) sb.Append('…');
        return sb.ToString();
    }

    /// <summary>Raw bytes of a JSON token, e.g. a number too large to parse, as message text.</summary>
    public static string Token(ReadOnlySpan<byte> utf8) =>
        Quote(Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, (MaxQuotedChars + 1) * 4)]))[1..^1];

    /// <summary>1,024: byte counts and offsets with thousands separators, as people read them.</summary>
    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Another component's message (the file system's, System.Text.Json's) made one line of bounded length.</summary>
    public static string OneLine(string message) =>
        Escape(message.ReplaceLineEndings(" ").Trim(), 250);
}
