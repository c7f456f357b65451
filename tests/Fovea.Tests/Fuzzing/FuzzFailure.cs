namespace Fovea.Tests.Fuzzing;

/// <summary>One mishandled input: which case, what went wrong, and where the input was saved for replay.</summary>
public sealed record FuzzFailure(int CaseIndex, int CaseSeed, int InputLength, string Problem, Exception? Exception, IReadOnlyList<string> Mutations)
{
    /// <summary>Path of the saved input, once written.</summary>
    public string? SavedTo { get; init; }

    public override string ToString() =>
        $"case {CaseIndex} (case seed {CaseSeed}, {InputLength} bytes, mutations: {string.Join(", ", Mutations.Take(8))}"
        + (SavedTo is null ? "" : $", saved to {SavedTo}") + $"): {Problem}"
        + (Exception is null ? "" : Environment.NewLine + "    " + Exception.ToString().ReplaceLineEndings(Environment.NewLine + "    "));
}
