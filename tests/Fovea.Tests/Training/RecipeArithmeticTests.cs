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
        Assert.True(ModelZoo.Get("airbench94").Recipe.WinogradTraining);
        Assert.False(ModelZoo.Get("tutorial").Recipe.WinogradTraining);
        Assert.False(ModelZoo.Get("resnet9").Recipe.WinogradTraining);
    }

    [Theory]
    [InlineData(null, true, WinogradUse.Always)]
    [InlineData(null, false, WinogradUse.Inference)]
    [InlineData("never", true, WinogradUse.Inference)]     // the variable chose: the recipe leaves the setting alone
    [InlineData("inference", true, WinogradUse.Inference)]
    public void The_environment_has_the_last_word(string? variable, bool recipeSays, WinogradUse expected)
    {
        string? saved = Environment.GetEnvironmentVariable(Engine.WinogradVariable);
        using var _ = new EngineWinograd(WinogradUse.Inference);
        try
        {
            Environment.SetEnvironmentVariable(Engine.WinogradVariable, variable);
            var recipe = ModelZoo.Get("tutorial").Recipe with { WinogradTraining = recipeSays };
            recipe.ApplyArithmetic();
            Assert.Equal(expected, Engine.Winograd);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Engine.WinogradVariable, saved);
        }
    }
}
