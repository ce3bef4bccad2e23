using System.Text.Json;
using System.Text.RegularExpressions;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// The Slurm, Kubernetes and AWS Batch files, read back: each engine's shard index reaches embed, the merge waits for
/// every shard, and the shard count is the same everywhere. (None of the three engines runs here.)
/// </summary>
public sealed class DeployFilesTests
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", path));

    [Fact]
    public void The_slurm_array_gives_each_task_a_gpu_and_its_own_logs_and_the_merge_waits_for_all_of_it()
    {
        var task = Read("slurm/embed-array.sbatch");
        Assert.Contains("#SBATCH --gres=gpu:1", task, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --output=logs/duckembed-%A_%a.out", task, StringComparison.Ordinal);
        // The task passes --shards only: embed takes the index from SLURM_ARRAY_TASK_ID itself.
        Assert.Contains("--shards \"$SHARDS\"", task, StringComparison.Ordinal);
        var submit = Read("slurm/submit.sh");
        Assert.Contains("--array=\"0-$((shards - 1))%$parallel\"", submit, StringComparison.Ordinal);
        Assert.Contains("--dependency=\"afterok:$array\"", submit, StringComparison.Ordinal);
        Assert.Contains("merge --config \"$CONFIG\" --shards \"$SHARDS\"", Read("slurm/merge.sbatch"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_kubernetes_indexed_job_has_one_pod_per_shard_with_a_gpu_and_the_merge_the_same_count()
    {
        var job = Read("k8s/embed-indexed-job.yaml");
        foreach (var field in new[] { "completionMode: Indexed", "backoffLimitPerIndex: 3", "podReplacementPolicy: Failed", "restartPolicy: Never", "nvidia.com/gpu: 1", "mountPath: /data" })
        {
            Assert.Contains(field, job, StringComparison.Ordinal);
        }
        var completions = Number(job, @"completions: (\d+)");
        Assert.Equal(completions, Number(job, @"""--shards"", ""(\d+)"""));
        Assert.InRange(Number(job, @"parallelism: (\d+)"), 1, completions);
        var merge = Read("k8s/merge-job.yaml");
        Assert.Contains("args: [\"merge\", \"--config\", \"/data/config.json\", \"--shards\"", merge, StringComparison.Ordinal);
        Assert.Equal(completions, Number(merge, @"""--shards"", ""(\d+)"""));
    }

    [Fact]
    public void The_aws_batch_array_job_has_a_gpu_per_child_and_the_merge_depends_on_the_array()
    {
        using var definition = JsonDocument.Parse(Read("aws-batch/job-definition.json"));
        var container = definition.RootElement.GetProperty("containerProperties");
        Assert.Contains(container.GetProperty("resourceRequirements").EnumerateArray(),
            r => r.GetProperty("type").GetString() == "GPU" && r.GetProperty("value").GetString() == "1");
        Assert.Contains("--shards", container.GetProperty("command").EnumerateArray().Select(c => c.GetString()));
        var submit = Read("aws-batch/submit.sh");
        Assert.Contains("--array-properties \"size=$shards\"", submit, StringComparison.Ordinal);
        Assert.Contains("--depends-on \"jobId=$array\"", submit, StringComparison.Ordinal);
        Assert.Contains("command=merge,--config,/data/config.json,--shards,$shards", submit, StringComparison.Ordinal);
    }

    private static int Number(string text, string pattern) =>
        int.Parse(Regex.Match(text, pattern).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
}
