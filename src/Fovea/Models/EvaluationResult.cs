namespace Fovea.Models;

/// <summary>What <c>Evaluate</c> returns: mean loss and accuracy over the data.</summary>
public readonly record struct EvaluationResult(double Loss, double Accuracy);
