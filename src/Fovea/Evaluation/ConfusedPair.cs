namespace Fovea.Evaluation;

/// <summary>A (true class, predicted class) pair of different classes and how many samples fell in it.</summary>
public readonly record struct ConfusedPair(int TrueClass, string TrueName, int PredictedClass, string PredictedName, int Count);
