namespace Fovea.Tests.Fuzzing;

/// <summary>A fuzz run found inputs the target mishandled; the message lists them with what is needed to replay each.</summary>
public sealed class FuzzFailureException(string message, FuzzReport report) : Exception(message)
{
    public FuzzReport Report { get; } = report;
}
