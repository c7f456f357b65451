namespace Fovea.Tests.Fuzzing;

/// <summary>How <see cref="FuzzHarness"/> makes inputs and judges outcomes. The defaults suit a Fovea file reader.</summary>
public sealed record FuzzOptions
{
    /// <summary>Names the target in reports and in the file names of saved failing inputs, e.g. "safetensors".</summary>
    public string Name { get; init; } = "fuzz";

    /// <summary>
    /// Makes one case's input from its seeded <see cref="Mutator"/> and the valid samples. Default: mutate a random
    /// sample. Replace it for structure-aware fuzzing (e.g. mutate a header, then fix up its length field).
    /// </summary>
    public Func<Mutator, IReadOnlyList<byte[]>, byte[]> Generate { get; init; } = DefaultGenerate;

    /// <summary>
    /// Whether an exception is a clean rejection. Default: any <see cref="FoveaException"/>, whose message is also
    /// checked by <see cref="CheckMessage"/>. Everything else (IndexOutOfRange, Overflow, OutOfMemory, a JsonException
    /// let through) is a bug.
    /// </summary>
    public Func<Exception, bool> IsCleanRejection { get; init; } = static e => e is FoveaException;

    /// <summary>Returns what is wrong with a rejection's message, or null. Default: FoveaException's one-line contract.</summary>
    public Func<string, string?> CheckMessage { get; init; } = DefaultCheckMessage;

    /// <summary>Groups rejections for the summary. Default: the message without its file prefix, numbers and quoted names.</summary>
    public Func<Exception, string> Categorize { get; init; } = FuzzReport.DefaultCategory;

    /// <summary>
    /// Most bytes one case may allocate, given its input length. The default, 16 × input + 256 KiB, is far above what
    /// an honest reader needs and far below what trusting a forged size field costs (megabytes to gigabytes).
    /// </summary>
    public Func<int, long> AllocationBudget { get; init; } = static length => 16L * length + 256 * 1024;

    /// <summary>Slowest acceptable case. Generous: the machine is shared, and a real hang is caught by <see cref="HangTimeout"/>.</summary>
    public TimeSpan MaxCaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A case running this long is reported as a hang and the run is abandoned.</summary>
    public TimeSpan HangTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Failures described in full in the exception message (all are counted).</summary>
    public int MaxFailuresReported { get; init; } = 10;

    /// <summary>Receives the summary, e.g. <c>output.WriteLine</c> of xUnit's ITestOutputHelper.</summary>
    public Action<string>? Log { get; init; }

    public static byte[] DefaultGenerate(Mutator mutator, IReadOnlyList<byte[]> samples) =>
        mutator.Mutate(samples[mutator.Random.Next(samples.Count)], samples);

    public static string? DefaultCheckMessage(string message) =>
        string.IsNullOrWhiteSpace(message) ? "the message is empty"
        : message.AsSpan().IndexOfAny('\r', '\n') >= 0 ? "the message spans several lines"
        : message.Length > 500 ? $"the message is {message.Length} characters long"
        : null;
}
