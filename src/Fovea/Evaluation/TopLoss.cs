namespace Fovea.Evaluation;

/// <summary>One sample the model got most wrong: which it is, what it said, what it should have said, and the loss.</summary>
/// <param name="Index">The sample's position in the evaluated set.</param>
/// <param name="PredictedClass">The class with the largest probability (the first on ties).</param>
/// <param name="Probability">The predicted class's probability.</param>
/// <param name="TrueClass">The label.</param>
/// <param name="TrueProbability">The label's probability.</param>
/// <param name="Loss">−log(<paramref name="TrueProbability"/>), the probability floored at 1e-12.</param>
public readonly record struct TopLoss(int Index, int PredictedClass, float Probability, int TrueClass, float TrueProbability, double Loss);
