using System.Text;

namespace Fovea.Tests.Fuzzing;

/// <summary>The harness must catch each kind of mishandling it promises to, or a clean run means nothing.</summary>
public sealed class FuzzHarnessTests
{
    private static readonly byte[] Sample = Encoding.UTF8.GetBytes("""{"n":[1,2,3],"s":"text"}""");

    /// <summary>A strict little reader: accepts exactly the sample, rejects the rest cleanly.</summary>
    private static object? Strict(byte[] input) =>
        input.AsSpan().SequenceEqual(Sample) ? input : throw new InvalidDataFileException("x.bin: not the sample");

    [Fact]
    public void A_clean_target_passes_and_is_summarised()
    {
        var log = new List<string>();
        var report = FuzzHarness.Run(1, 500, Sample, Strict, new FuzzOptions { Name = "strict", Log = log.Add });

        Assert.Equal(500, report.Cases);
        Assert.Equal(500, report.Valid + report.Rejected);
        Assert.Equal(report.Rejected, report.RejectionsByCategory["not the sample"]);
        Assert.Contains("fuzz 'strict': seed 1, 500 cases", Assert.Single(log));
    }

    [Fact]
    public void Another_exception_type_fails_the_run_with_the_case_to_replay()
    {
        static object? Buggy(byte[] input) => input.Length < Sample.Length ? input[Sample.Length - 1] : Strict(input);

        var e = Assert.Throws<FuzzFailureException>(() => FuzzHarness.Run(3, 300, Sample, Buggy));

        Assert.Contains("IndexOutOfRangeException", e.Message);
        var first = e.Report.Failures[0];
        Assert.True(FuzzHarness.GenerateCase(3, first.CaseIndex, [Sample]).Length < Sample.Length, "the replayed input is the failing one");
        Assert.True(File.Exists(first.SavedTo));
        Assert.Equal(FuzzHarness.GenerateCase(3, first.CaseIndex, [Sample]), File.ReadAllBytes(first.SavedTo!));
    }

    [Fact]
    public void A_rejected_valid_sample_fails_at_once()
    {
        var e = Assert.Throws<FuzzFailureException>(() => FuzzHarness.Run(1, 10, Sample, _ => throw new InvalidDataFileException("x: no")));
        Assert.StartsWith("fuzz 'fuzz': valid sample 0", e.Message);
    }

    [Fact]
    public void Allocating_what_a_size_field_claims_fails_the_run()
    {
        // Trusts the first byte as a count of kilobytes, as a reader trusting a header would.
        static object? Greedy(byte[] input) => input.Length > 0 && input[0] > 200 ? new byte[input[0] * 8 * 1024] : Strict(input);

        var e = Assert.Throws<FuzzFailureException>(() => FuzzHarness.Run(5, 2000, Sample, Greedy));
        Assert.Contains("allocated", e.Report.Failures[0].Problem);
        Assert.Contains("budget", e.Report.Failures[0].Problem);
    }

    [Fact]
    public void A_multi_line_message_fails_the_run()
    {
        var e = Assert.Throws<FuzzFailureException>(() =>
            FuzzHarness.Run(1, 50, Sample, input => input.AsSpan().SequenceEqual(Sample) ? null : throw new FoveaException("x:\nbad")));
        Assert.Contains("the message spans several lines", e.Report.Failures[0].Problem);
    }

    [Fact]
    public void A_slow_case_fails_the_run()
    {
        var e = Assert.Throws<FuzzFailureException>(() =>
            FuzzHarness.Run(1, 3, Sample, input => { if (!input.AsSpan().SequenceEqual(Sample)) Thread.Sleep(60); return Strict(input); },
                new FuzzOptions { MaxCaseDuration = TimeSpan.FromMilliseconds(20) }));
        Assert.Contains("took", e.Report.Failures[0].Problem);
    }

    [Fact]
    public void A_hang_is_reported_instead_of_blocking_the_suite()
    {
        var release = new ManualResetEventSlim();
        try
        {
            var e = Assert.Throws<FuzzFailureException>(() =>
                FuzzHarness.Run(1, 5, Sample, input => { if (!input.AsSpan().SequenceEqual(Sample)) release.Wait(); return null; },
                    new FuzzOptions { HangTimeout = TimeSpan.FromMilliseconds(300) }));
            Assert.Contains("still running after", e.Message);
        }
        finally
        {
            release.Set(); // let the abandoned worker thread finish
        }
    }

    [Fact]
    public void Categories_fold_names_and_numbers_but_keep_words_with_digits()
    {
        Assert.Equal("tensor '…' data_offsets [#, #] exceed the data section of # bytes",
            FuzzReport.DefaultCategory(new InvalidDataFileException("m.safetensors: tensor 'w' data_offsets [0, 99] exceed the data section of 1,024 bytes")));
        Assert.Equal("header is not valid UTF-8 (at byte #); dtype F32; byte 0x##",
            FuzzReport.DefaultCategory(new InvalidDataFileException("m: header is not valid UTF-8 (at byte 9); dtype F32; byte 0x7B")));
        Assert.Equal("IndexOutOfRangeException: Index was outside the bounds of the array.",
            FuzzReport.DefaultCategory(new IndexOutOfRangeException()));
    }
}
