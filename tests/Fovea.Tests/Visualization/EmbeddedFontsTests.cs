using Fovea.Visualization;
using SkiaSharp;
using static Fovea.Tests.Visualization.TestPictures;

namespace Fovea.Tests.Visualization;

public class EmbeddedFontsTests
{
    /// <summary>Set by <see cref="Pictures_have_text_on_a_machine_without_fonts"/> for the child test run.</summary>
    private const string ExpectNoSystemFonts = "FOVEA_EXPECT_NO_SYSTEM_FONTS";

    [Fact]
    public void The_embedded_typefaces_are_DejaVu_Sans_regular_and_bold()
    {
        Assert.Equal("DejaVu Sans", EmbeddedFonts.Regular.FamilyName);
        Assert.False(EmbeddedFonts.Regular.IsBold);
        Assert.True(EmbeddedFonts.Bold.IsBold);
        using var font = new SKFont(EmbeddedFonts.Regular, 14);
        Assert.True(font.ContainsGlyphs("Pred: automobile 87% True: dog … ·"));
    }

    [Fact]
    public void ScottPlot_resolves_the_default_font_to_the_embedded_one()
    {
        EmbeddedFonts.UseWithScottPlot();
        EmbeddedFonts.UseWithScottPlot(); // idempotent

        Assert.Equal(EmbeddedFonts.FamilyName, ScottPlot.Fonts.Default);
        Assert.IsType<EmbeddedFontResolver>(ScottPlot.Fonts.FontResolvers[0]);
        Assert.Single(ScottPlot.Fonts.FontResolvers.OfType<EmbeddedFontResolver>());
        using SKTypeface? bold = ScottPlot.Fonts.FontResolvers[0].CreateTypeface(EmbeddedFonts.FamilyName, bold: true, italic: false);
        Assert.NotNull(bold);
        Assert.True(bold.IsBold);
        Assert.Null(ScottPlot.Fonts.FontResolvers[0].CreateTypeface("Some Other Font", false, false));
    }

    /// <summary>
    /// Runs in every test run, and again by <see cref="Pictures_have_text_on_a_machine_without_fonts"/> in a
    /// child process that sees no system fonts: chart titles and grid captions must have text pixels.
    /// </summary>
    [Fact]
    public void Chart_titles_and_captions_have_text()
    {
        if (Environment.GetEnvironmentVariable(ExpectNoSystemFonts) == "1")
            Assert.DoesNotContain("DejaVu Sans", SKFontManager.Default.FontFamilies); // the child really sees no fonts

        // What ScottPlot draws with must have glyphs (an empty system default typeface has none)...
        EmbeddedFonts.UseWithScottPlot();
        SKTypeface plotTypeface = ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false);
        using (var plotFont = new SKFont(plotTypeface, 14))
            Assert.True(plotFont.ContainsGlyphs("Epoch Loss Training Validation 0123456789."), $"ScottPlot's font '{plotTypeface.FamilyName}' lacks glyphs");

        // ...and a chart's title must change its pixels: with no usable font, two titles render the same.
        using SKBitmap loss = Decode(HistoryChart.Render(History(4), "Loss", "Loss", e => e.Loss, e => e.ValLoss));
        using SKBitmap other = Decode(HistoryChart.Render(History(4), "Other words", "Loss", e => e.Loss, e => e.ValLoss));
        Assert.NotEqual(loss.Bytes, other.Bytes);

        var (images, labels) = RandomImages(4);
        CaptionedGrid layout = ImageGrid.SamplesLayout(images, labels, Cifar10Classes, 4, 0);
        using SKBitmap grid = Decode(ImageGrid.Samples(images, labels, Cifar10Classes, 4));
        SKPointI origin = layout.ImageOrigin(0);
        var caption = new SKRectI(origin.X, origin.Y + layout.ImageHeight, origin.X + layout.ImageWidth, origin.Y + layout.ImageHeight + layout.LineHeight + 6);
        Assert.True(CountDark(grid, caption) > 20, "the sample grid has no caption text");
    }

    /// <summary>
    /// The bare-machine check: reruns <see cref="Chart_titles_and_captions_have_text"/> in a child test run inside a
    /// private mount namespace where /usr/share/fonts (the only folder the NoDependencies Skia build scans) is an
    /// empty tmpfs, and fontconfig is pointed at nothing. Without the embedded font, ScottPlot draws no text there.
    /// </summary>
    [BareFontsFact]
    public void Pictures_have_text_on_a_machine_without_fonts()
    {
        string testAssembly = typeof(EmbeddedFontsTests).Assembly.Location;
        string filter = $"FullyQualifiedName={typeof(EmbeddedFontsTests).FullName}.{nameof(Chart_titles_and_captions_have_text)}";
        var result = ExternalProcess.Run("unshare",
            ["-m", "sh", "-c", "mount -t tmpfs none /usr/share/fonts && exec dotnet test \"$1\" --filter \"$2\"", "sh", testAssembly, filter],
            TimeSpan.FromMinutes(3),
            new Dictionary<string, string?> { [ExpectNoSystemFonts] = "1", ["FONTCONFIG_FILE"] = "/dev/null" });

        string output = result.StandardOutput + result.StandardError;
        Assert.True(result.ExitCode == 0, $"child test run failed ({result.ExitCode}):\n{output}");
        Assert.Contains("Passed:     1", output);
    }
}
