using System.Text.RegularExpressions;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>docs/configuration.md against the code: a setting or an environment variable cannot be added without its line.</summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "configuration.md"));

    [Fact]
    public void Every_config_setting_has_its_line_and_the_page_documents_no_other()
    {
        var documented = Section("## config.json").Select(row => row.Trim('`')).ToHashSet();

        Assert.Equal(ConfigFile.Keys.Order(), documented.Order());
    }

    [Fact]
    public void Every_environment_variable_the_cli_and_its_scripts_read_has_its_line()
    {
        var documented = Section("## Environment").SelectMany(row => row.Split(',')).Select(name => name.Trim().Trim('`')).ToHashSet();
        var root = TestPaths.RepositoryRoot;
        var read = Directory.GetFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => CodeReads().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value))
            .Concat(new[] { "embed.sh", "check_benchmark.sh", "scripts/dispatch.sh" }
                .SelectMany(script => ScriptReads().Matches(File.ReadAllText(Path.Combine(root, script))).Select(m => m.Groups[1].Value)))
            .Where(name => name != "DUCKEMBED_ROOT")
            .ToHashSet();

        // The patterns find what they look for: one of each kind.
        Assert.Contains("BATCH_SIZE", read);
        Assert.Contains("DUCKEMBED_PLAIN", read);
        Assert.Contains("SLURM_ARRAY_TASK_ID", read);
        Assert.Contains("DUCKEMBED_LOCAL", read);
        Assert.Empty(read.Except(documented));
    }

    // The first cell of every table row below a heading, up to the next heading.
    private static IEnumerable<string> Section(string heading)
    {
        var start = Doc.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/configuration.md has no '{heading}'");
        var end = Doc.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return Doc[start..(end < 0 ? Doc.Length : end)].Split('\n')
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .Select(line => line.Split('|')[1].Trim());
    }

    // environment("X"), Environment.GetEnvironmentVariable("X"), and the shard index variables' list.
    [GeneratedRegex("""(?:environment|GetEnvironmentVariable)\("([A-Z_]+)"\)|"((?:SLURM|JOB|AWS)_[A-Z_]+)"[,\]]""")]
    private static partial Regex CodeReads();

    [GeneratedRegex(@"\$\{?((?:DUCKEMBED|BATCH|DEVICE|CUDA)[A-Z_]*)")]
    private static partial Regex ScriptReads();
}
