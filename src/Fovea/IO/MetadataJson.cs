using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fovea.IO;

/// <summary>
/// Parses JSON held in a file's metadata (a model's architecture, a checkpoint's state), which may come from a
/// stranger: nesting is bounded, and the two inputs System.Text.Json accepts but later trips over are refused while
/// parsing, so that reading the result cannot throw anything but what the caller asks for.
/// </summary>
internal static class MetadataJson
{
    public const int MaxDepth = 16;

    /// <exception cref="JsonException">Not valid JSON, nested too deep, a key twice in one object (JsonObject would
    /// throw ArgumentException on first access), or a string holding half of a surrogate pair ("\ud800", which
    /// System.Text.Json parses but throws InvalidOperationException on whenever it is read or written).</exception>
    public static JsonNode? Parse(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                throw new JsonException($"a string holds half of a surrogate pair, a broken \\u escape (at byte {reader.TokenStartIndex})");
            }
        }
        return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
    }

    /// <summary>System.Text.Json's message without its position suffix, made one line of bounded length.</summary>
    public static string Reason(JsonException e) => SafeTensorsText.OneLine(e.Message.Split(". LineNumber")[0]);
}
