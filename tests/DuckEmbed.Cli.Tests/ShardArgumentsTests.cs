using DuckEmbed.Processor;

namespace DuckEmbed.Cli.Tests;

/// <summary>Where a process's shard index comes from: --shard, or the engine's own variable; never two answers.</summary>
public sealed class ShardArgumentsTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Theory]
    [InlineData("SLURM_ARRAY_TASK_ID")]
    [InlineData("JOB_COMPLETION_INDEX")]
    [InlineData("AWS_BATCH_JOB_ARRAY_INDEX")]
    public void The_engines_index_variable_gives_the_shard_and_is_named_as_the_source(string variable)
    {
        var (shard, source) = ShardArguments.Resolve(4, null, Environment((variable, "2")));
        Assert.Equal(new ShardSelection(2, 4), shard);
        Assert.Equal(variable, source);
    }

    [Fact]
    public void The_shard_option_agreeing_with_the_engine_is_fine_and_disagreeing_is_an_error()
    {
        Assert.Equal(new ShardSelection(1, 3), ShardArguments.Resolve(3, 1, Environment(("SLURM_ARRAY_TASK_ID", "1"))).Shard);
        var error = Assert.Throws<CliUsageException>(() => ShardArguments.Resolve(3, 1, Environment(("JOB_COMPLETION_INDEX", "2"))));
        Assert.Equal("The shard index sources disagree: --shard = 1, JOB_COMPLETION_INDEX = 2.", error.Message);
    }

    [Fact]
    public void Shards_without_an_index_and_an_index_without_shards_are_errors()
    {
        Assert.StartsWith("--shards 4 needs this process's shard", Assert.Throws<CliUsageException>(() => ShardArguments.Resolve(4, null, Environment())).Message, StringComparison.Ordinal);
        Assert.StartsWith("--shard needs --shards N", Assert.Throws<CliUsageException>(() => ShardArguments.Resolve(null, 1, Environment())).Message, StringComparison.Ordinal);
        Assert.Equal("SLURM_ARRAY_TASK_ID is 4, but --shards 4 has shards 0 to 3.",
            Assert.Throws<CliUsageException>(() => ShardArguments.Resolve(4, null, Environment(("SLURM_ARRAY_TASK_ID", "4")))).Message);
        Assert.Equal((null, null), ShardArguments.Resolve(null, null, Environment(("SLURM_ARRAY_TASK_ID", "3"))));
    }
}
