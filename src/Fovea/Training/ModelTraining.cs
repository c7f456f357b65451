using Fovea.Data;
using Fovea.Models;

namespace Fovea.Training;

/// <summary>
/// Keras's <c>model.fit</c>, <c>model.evaluate</c> and the state of the last fit, on the model itself: each goes
/// through the model's latest <see cref="Trainer"/> (<see cref="Trainer.Of"/>).
/// </summary>
public static class ModelTraining
{
    extension(Model model)
    {
        /// <summary>Where the model's current (or last) <c>Fit</c> stands; pass it as <c>resumeFrom</c> to continue.</summary>
        public TrainingState State => Trainer.Of(model).State;

        /// <summary>Trains the compiled model (Keras's <c>model.fit</c>); see <see cref="Trainer"/>.</summary>
        public History Fit(ImageSet x, int[] y, int batchSize = 32, int epochs = 1, (ImageSet X, int[] Y)? validationData = null,
            bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null,
            bool dropRemainder = false, int validationFrequency = 1) =>
            Trainer.Of(model).Fit(x, y, batchSize, epochs, validationData, shuffle, verbose, callbacks, resumeFrom, dropRemainder, validationFrequency);

        /// <summary>Trains the compiled model on images already in a float tensor (Keras's <c>model.fit</c>); see <see cref="Trainer"/>.</summary>
        public History Fit(Tensor x, int[] y, int batchSize = 32, int epochs = 1, (Tensor X, int[] Y)? validationData = null,
            bool shuffle = true, int verbose = 1, IEnumerable<Callback>? callbacks = null, TrainingState? resumeFrom = null,
            bool dropRemainder = false, int validationFrequency = 1) =>
            Trainer.Of(model).Fit(x, y, batchSize, epochs, validationData, shuffle, verbose, callbacks, resumeFrom, dropRemainder, validationFrequency);

        /// <summary>Loss and accuracy of the compiled model on <paramref name="x"/> and labels <paramref name="y"/>, optionally with
        /// test-time augmentation (Keras's <c>model.evaluate</c>).</summary>
        public EvaluationResult Evaluate(ImageSet x, int[] y, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
            Trainer.Of(model).Evaluate(x, y, batchSize, tta);

        /// <summary>Loss and accuracy of the compiled model on images already in a float tensor (Keras's <c>model.evaluate</c>).</summary>
        public EvaluationResult Evaluate(Tensor x, int[] y, int batchSize = 32, TestTimeAugmentation tta = TestTimeAugmentation.None) =>
            Trainer.Of(model).Evaluate(x, y, batchSize, tta);
    }
}
