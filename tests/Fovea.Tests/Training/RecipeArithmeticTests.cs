using Fovea.Tests.Models;
using Fovea.Training;
using Fovea.Zoo;

namespace Fovea.Tests.Training;

/// <summary>
/// A recipe measured with Winograd in training makes its runs train that way unless FOVEA_WINOGRAD chooses; the others
/// keep im2col's exact sums. Sets <see cref="Engine.Winograd"/> and the process's environment, so it runs alone.
/// </summary>
[Collection(EngineSettingsCollection.Name)]
public sealed class RecipeArithmeticTests
{
    [Fact]
    public void Airbench94_trains_with_winograd_the_others_with_im2col()
    {
        Assert.Equal(WinogradUse.Always, ModelZoo.Get("airbench94").Recipe.TrainingWinograd);
        Assert.Equal(WinogradUse.Inference, ModelZoo.Get("tutorial").Recipe.TrainingWinograd);
        Assert.Equal(WinogradUse.Inference, ModelZoo.Get("resnet9").Recipe.TrainingWinograd);
    }

    [Theory]
    [InlineData(null, WinogradUse.Always, WinogradUse.Always)]
    [InlineData(null, WinogradUse.AlwaysF4, WinogradUse.AlwaysF4)]
    [InlineData(null, WinogradUse.Inference, WinogradUse.Inference)]
    [InlineData(null, WinogradUse.Never, WinogradUse.Inference)]        // a recipe only ever adds Winograd in training
    [InlineData("never", WinogradUse.AlwaysF4, WinogradUse.Inference)]  // the variable chose: the recipe leaves the setting alone
    [InlineData("inference", WinogradUse.Always, WinogradUse.Inference)]
    public void The_environment_has_the_last_word(string? variable, WinogradUse recipeSays, WinogradUse expected)
    {
        string? saved = Environment.GetEnvironmentVariable(Engine.WinogradVariable);
        using var _ = new EngineWinograd(WinogradUse.Inference);
        try
        {
            Environment.SetEnvironmentVariable(Engine.WinogradVariable, variable);
            var recipe = ModelZoo.Get("tutorial").Recipe with { TrainingWinograd = recipeSays };
            recipe.ApplyArithmetic();
            Assert.Equal(expected, Engine.Winograd);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Engine.WinogradVariable, saved);
        }
    }
}
