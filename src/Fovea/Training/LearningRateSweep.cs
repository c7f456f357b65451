namespace Fovea.Training;

/// <summary>
/// What a <see cref="LearningRateFinder"/> sweep measured: per step, the learning rate and the training loss
/// (smoothed and raw), and the rate it suggests.
/// </summary>
/// <param name="LearningRates">The rate of each step taken, rising exponentially.</param>
/// <param name="Losses">The exponentially smoothed, bias-corrected loss after each step (what is plotted).</param>
/// <param name="RawLosses">The mean loss of each step's batch.</param>
/// <param name="Suggestion">The suggested rate: fast.ai's "valley" (<see cref="LearningRateFinder.Valley"/>).</param>
/// <param name="SuggestionIndex">The step whose rate is <paramref name="Suggestion"/>.</param>
/// <param name="Steepest">The rate where the smoothed loss falls fastest against log(rate), for comparison.</param>
/// <param name="Diverged">True when the sweep stopped early because the smoothed loss exceeded the divergence factor
/// times its best (or stopped being finite).</param>
public sealed record LearningRateSweep(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses, IReadOnlyList<double> RawLosses,
    double Suggestion, int SuggestionIndex, double Steepest, bool Diverged)
{
    /// <summary>The lowest smoothed loss of the sweep.</summary>
    public double BestLoss => Losses.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
}
