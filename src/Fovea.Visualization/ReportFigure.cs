namespace Fovea.Visualization;

/// <summary>One picture of the report: a PNG (as <see cref="ImageGrid"/> and <see cref="Charts"/> return) with a title.</summary>
public sealed record ReportFigure(string Title, byte[] Png, string? Caption = null);
