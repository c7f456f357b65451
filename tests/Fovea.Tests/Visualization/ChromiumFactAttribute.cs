namespace Fovea.Tests.Visualization;

/// <summary>A Fact that runs where Debian's chromium is installed (CI installs it) and is skipped, with the reason, elsewhere.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(ReportBrowserTests.Chromium))
            Skip = $"{ReportBrowserTests.Chromium} is not installed (apt-get install chromium)";
    }
}
