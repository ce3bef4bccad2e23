using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli.Tests;

/// <summary>The library names settings in its own words; the CLI puts its config keys and flags on them.</summary>
public sealed class CliErrorsTests
{
    public static TheoryData<JobSetting> JobSettings() => [.. Enum.GetValues<JobSetting>().Where(s => s != JobSetting.None)];

    public static TheoryData<ModelSetting> ModelSettings() => [.. Enum.GetValues<ModelSetting>().Where(s => s != ModelSetting.None)];

    [Theory]
    [MemberData(nameof(JobSettings))]
    public void Every_job_setting_is_reported_under_its_config_key_or_flag(JobSetting setting)
    {
        var message = CliErrors.UserMessage(new EmbeddingJobException(setting, "Something is wrong."))!;
        Assert.Matches(@"^(--)?[A-Za-z_]+( × [a-z_]+)?: Something is wrong\.$", message);
    }

    [Theory]
    [MemberData(nameof(ModelSettings))]
    public void Every_model_setting_is_reported_under_its_config_key(ModelSetting setting)
    {
        var message = CliErrors.UserMessage(new ModelLoadException(setting, "Something is wrong."))!;
        Assert.Matches(@"^[a-z_]+: Something is wrong\.", message);
    }

    [Fact]
    public void Settings_are_named_by_their_config_json_keys()
    {
        Assert.Equal("input_table: 'doc' is missing.", CliErrors.UserMessage(new EmbeddingJobException(JobSetting.InputTable, "'doc' is missing.")));
        Assert.Equal("model_path: /m: no vocab.", CliErrors.UserMessage(new ModelLoadException(ModelSetting.ModelPath, "/m: no vocab.")));
        Assert.Equal("Plain.", CliErrors.UserMessage(new EmbeddingJobException("Plain.")));
    }

    [Fact]
    public void An_error_that_overwriting_would_clear_names_the_overwrite_flag()
    {
        var message = CliErrors.UserMessage(new EmbeddingJobException(JobSetting.OutputTable, "'t' was made otherwise.") { CanOverwrite = true });
        Assert.Equal("output_table: 't' was made otherwise. Run with --overwrite to replace it.", message);
    }

    [Fact]
    public void Cuda_refused_names_the_gpu_build_and_the_cpu_setting()
    {
        var message = CliErrors.UserMessage(new ModelLoadException(ModelSetting.Device, "cuda: CUDA is not available."))!;
        Assert.StartsWith("device: cuda: CUDA is not available.", message, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimeFlavor=gpu", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_failures_are_not_user_errors()
    {
        Assert.Null(CliErrors.UserMessage(new InvalidOperationException("bug")));
        using var stderr = new StringWriter();
        Assert.Equal(ExitCodes.Failure, CliErrors.Report(new InvalidOperationException("bug"), stderr, verbose: false));
        Assert.Equal(ExitCodes.UserError, CliErrors.Report(new EmbeddingJobException(JobSetting.MaxRows, "Negative."), stderr, verbose: false));
        Assert.StartsWith("error: bug", stderr.ToString().Replace("InvalidOperationException: ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
