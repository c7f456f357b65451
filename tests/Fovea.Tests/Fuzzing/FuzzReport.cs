using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Fovea.Tests.Fuzzing;

/// <summary>What a fuzz run did: how many inputs were accepted or rejected (and why), the costliest cases, and any failures.</summary>
public sealed partial class FuzzReport
{
    public required string Name { get; init; }
    public required int Seed { get; init; }
    public int Cases { get; internal set; }
    public int Valid { get; internal set; }
    public int Rejected { get; internal set; }
    public Dictionary<string, int> RejectionsByCategory { get; } = new(StringComparer.Ordinal);
    public List<FuzzFailure> Failures { get; } = [];
    public int FailureCount { get; internal set; }
    public TimeSpan Elapsed { get; internal set; }
    public TimeSpan SlowestCase { get; internal set; }
    public int SlowestCaseIndex { get; internal set; } = -1;
    public long MostAllocated { get; internal set; }
    public int MostAllocatedCaseIndex { get; internal set; } = -1;
    public int MostAllocatedInputLength { get; internal set; }
    public long TotalInputBytes { get; internal set; }

    /// <summary>A multi-line summary for the test log.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"fuzz '{Name}': seed {Seed}, {Cases:N0} cases in {Elapsed.TotalSeconds:F2} s, mean input {(Cases == 0 ? 0 : TotalInputBytes / Cases):N0} bytes");
        sb.AppendLine(ci, $"  valid {Valid:N0}, rejected {Rejected:N0}, failures {FailureCount:N0}");
        sb.AppendLine(ci, $"  slowest case {SlowestCaseIndex}: {SlowestCase.TotalMilliseconds:F2} ms");
        sb.AppendLine(ci, $"  most allocated: case {MostAllocatedCaseIndex}, {MostAllocated:N0} bytes for a {MostAllocatedInputLength:N0}-byte input");
        sb.AppendLine(ci, $"  rejections by category ({RejectionsByCategory.Count} categories):");
        foreach (var (category, count) in RejectionsByCategory.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            sb.AppendLine(ci, $"    {count,7:N0}  {category}");
        return sb.ToString();
    }

    /// <summary>
    /// "tensor '…' data_offsets [#, #] exceed the data section of # bytes": the message with the file name
    /// (Fovea messages start "file: ") cut off, quoted text folded to '…' and numbers to #, so that alike rejections count together.
    /// </summary>
    public static string DefaultCategory(Exception e)
    {
        string message = e.Message;
        int colon = message.IndexOf(": ", StringComparison.Ordinal);
        if (colon >= 0) message = message[(colon + 2)..];
        message = QuotedText().Replace(message, "'…'");
        message = HexBytes().Replace(message, "0x##");
        message = Numbers().Replace(message, "#");
        if (message.Length > 120) message = message[..120] + "…";
        return e is FoveaException ? message : $"{e.GetType().Name}: {message}";
    }

    [GeneratedRegex(@"'[^']*'")]
    private static partial Regex QuotedText();

    [GeneratedRegex(@"0x[0-9A-Fa-f]+")]
    private static partial Regex HexBytes();

    /// <summary>Whole numbers only, 1,024 included; digits inside words (F32, UTF-8, 0x##) stay as they are.</summary>
    [GeneratedRegex(@"(?<![\w.-])-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?(?!\w)")]
    private static partial Regex Numbers();
}
