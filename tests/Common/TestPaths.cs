namespace DuckEmbed.Tests;

/// <summary>Where the repository and the shared fixtures (reference embeddings, corpus) are.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The shared folder beside the repository, or <c>DUCKEMBED_SHARED</c>.</summary>
    public static string Shared { get; } = Environment.GetEnvironmentVariable("DUCKEMBED_SHARED") is { Length: > 0 } shared
        ? shared
        : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));

    public static string ReferenceFile => Existing(Path.Combine(Shared, "reference", "reference.jsonl"));

    public static string CorpusFile => Existing(Path.Combine(Shared, "corpus", "debian-descriptions.jsonl.xz"));

    private static string Existing(string path) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"Test fixture {path} is missing: clone the project with shared/ beside it, or set DUCKEMBED_SHARED.");

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DuckEmbed.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException("DuckEmbed.slnx not found above the test assembly.");
    }
}
