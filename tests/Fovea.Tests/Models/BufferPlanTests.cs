using Fovea.Models;

namespace Fovea.Tests.Models;

public class BufferPlanTests
{
    [Fact]
    public void LifetimesThatOverlapNeverShareAnArray()
    {
        var rng = new Rng(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var lifetimes = Enumerable.Range(0, 1 + rng.NextInt(30)).Select(_ =>
            {
                int start = rng.NextInt(40);
                return new BufferPlan.Lifetime(1 + rng.NextInt(1000), start, start + rng.NextInt(20));
            }).ToList();
            var (assignment, sizes) = BufferPlan.Assign(lifetimes);
            for (int i = 0; i < lifetimes.Count; i++)
            {
                Assert.True(sizes[assignment[i]] >= lifetimes[i].Size);
                for (int j = i + 1; j < lifetimes.Count; j++)
                {
                    bool overlap = lifetimes[i].Start <= lifetimes[j].End && lifetimes[j].Start <= lifetimes[i].End;
                    if (overlap) Assert.NotEqual(assignment[i], assignment[j]);
                }
            }
        }
    }

    [Fact]
    public void AChainReusesArrays()
    {
        // Five values, each read only by the next step: two arrays suffice.
        var lifetimes = Enumerable.Range(0, 5).Select(i => new BufferPlan.Lifetime(100, i, i + 1)).ToList();
        var (_, sizes) = BufferPlan.Assign(lifetimes);
        Assert.Equal(2, sizes.Length);
    }
}
