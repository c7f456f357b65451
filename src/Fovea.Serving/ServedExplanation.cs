namespace Fovea.Serving;

/// <summary>What <c>/explain</c> asks of the model: a class to explain (null: the predicted one) and a layer (null: the last convolutional one).</summary>
internal sealed record ExplanationRequest(int? ClassIndex, string? Layer);

/// <summary>One picture's Grad-CAM explanation as the worker hands it back.</summary>
/// <param name="Heatmap">[H, W] in [0, 1], at the model's input size, top row first.</param>
/// <param name="Probabilities">[classes]: the model's output.</param>
/// <param name="ClassIndex">The class explained.</param>
/// <param name="Layer">The layer whose feature map was weighed.</param>
internal sealed record ServedExplanation(float[] Heatmap, float[] Probabilities, int ClassIndex, string Layer);
