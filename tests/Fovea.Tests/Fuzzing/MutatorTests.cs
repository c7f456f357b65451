using System.Text;

namespace Fovea.Tests.Fuzzing;

public sealed class MutatorTests
{
    private static readonly byte[] Sample = Encoding.UTF8.GetBytes("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""");

    [Fact]
    public void Same_seed_gives_the_same_output()
    {
        for (int seed = 0; seed < 200; seed++)
            Assert.Equal(new Mutator(seed).Mutate(Sample), new Mutator(seed).Mutate(Sample));
    }

    [Fact]
    public void Different_seeds_explore_different_outputs()
    {
        var distinct = Enumerable.Range(0, 1000).Select(s => Convert.ToHexString(new Mutator(s).Mutate(Sample))).Distinct().Count();
        Assert.True(distinct > 900, $"only {distinct} distinct outputs from 1000 seeds");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_changes_the_input_and_handles_empty_and_tiny_inputs(Mutator.Kind kind)
    {
        int changed = 0;
        for (int seed = 0; seed < 50; seed++)
        {
            var m = new Mutator(seed);
            if (!m.Apply(kind, Sample, [Sample]).AsSpan().SequenceEqual(Sample)) changed++;
            m.Apply(kind, [], [Sample]);
            m.Apply(kind, [0x7B], [Sample]);
            Assert.NotEmpty(m.Applied);
        }
        Assert.True(changed >= 40, $"{kind} changed the input in only {changed} of 50 seeds");
    }

    public static TheoryData<Mutator.Kind> Kinds => new(Enum.GetValues<Mutator.Kind>());

    [Fact]
    public void Output_length_stays_bounded_when_mutations_stack()
    {
        var m = new Mutator(7);
        byte[] current = Sample;
        for (int i = 0; i < 200; i++)
        {
            byte[] next = m.Mutate(current, [Sample]);
            Assert.True(next.Length <= current.Length * 2 + 64 * 1024);
            current = next.Length > 0 ? next : Sample;
        }
    }

    [Fact]
    public void Number_replacement_hits_numbers_in_text()
    {
        var outputs = Enumerable.Range(0, 300).Select(s => Encoding.UTF8.GetString(new Mutator(s).Apply(Mutator.Kind.ReplaceNumberText, Sample))).ToList();
        Assert.Contains(outputs, o => o.Contains("18446744073709551616", StringComparison.Ordinal));
        Assert.Contains(outputs, o => o.Contains("[0,25]", StringComparison.Ordinal) || o.Contains("[0,23]", StringComparison.Ordinal)); // off by one
        Assert.Contains(outputs, o => o.Contains("-1", StringComparison.Ordinal));
    }

    [Fact]
    public void Case_seeds_are_stable_and_spread()
    {
        Assert.Equal(FuzzHarness.CaseSeed(1, 2), FuzzHarness.CaseSeed(1, 2));
        var seeds = Enumerable.Range(0, 10_000).Select(i => FuzzHarness.CaseSeed(42, i)).ToHashSet();
        Assert.True(seeds.Count > 9_990);
    }
}
