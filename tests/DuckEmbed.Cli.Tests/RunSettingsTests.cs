using DuckEmbed.Onnx;
using DuckEmbed.Processor;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

public sealed class RunSettingsTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private const string ValidConfig = """
        { "input_db_path": "in.duckdb", "output_db_path": "sub/out.duckdb", "input_table": "t",
          "id_column": "id", "text_column": "body", "output_table": "o" }
        """;

    private RunSettings Load(string json, Dictionary<string, string>? environment = null)
    {
        var path = _folder.File("config.json");
        File.WriteAllText(path, json);
        return RunSettings.Load(path, name => environment?.GetValueOrDefault(name));
    }

    private static string With(string key, string value) =>
        ValidConfig.Replace("\"o\" }", $"\"o\", \"{key}\": {value} }}", StringComparison.Ordinal);

    private string ErrorOf(string json, Dictionary<string, string>? environment = null) =>
        Assert.Throws<CliUsageException>(() => Load(json, environment)).Message;

    [Fact]
    public void Relative_paths_resolve_against_the_config_files_folder()
    {
        var settings = Load(ValidConfig);
        Assert.Equal(_folder.File("in.duckdb"), settings.Job.InputDatabasePath);
        Assert.Equal(Path.Combine(_folder.Path, "sub", "out.duckdb"), settings.Job.OutputDatabasePath);
        Assert.Equal("vector", settings.Job.VectorColumn);
    }

    [Fact]
    public void Cuda_memory_limit_and_tf32_are_read_and_checked()
    {
        Assert.Null(Load(ValidConfig).CudaMemoryLimitBytes);
        Assert.False(Load(ValidConfig).CudaTf32);
        Assert.Equal(8L << 30, Load(With("cuda_memory_limit", "\"8GB\"")).CudaMemoryLimitBytes);
        Assert.Equal(512L << 20, Load(With("cuda_memory_limit", "\"512 MB\"")).CudaMemoryLimitBytes);
        // The units duckdb_memory_limit takes, read the same way (one parser for both).
        Assert.Equal(1L << 40, Load(With("cuda_memory_limit", "\"1TiB\"")).CudaMemoryLimitBytes);
        Assert.Equal(3L << 29, Load(With("cuda_memory_limit", "\"1.5gb\"")).CudaMemoryLimitBytes);
        Assert.EndsWith("not \"512KB\".", ErrorOf(With("cuda_memory_limit", "\"512KB\"")), StringComparison.Ordinal);
        Assert.True(Load(With("cuda_tf32", "true")).CudaTf32);
        Assert.EndsWith("'cuda_memory_limit' must be a size such as 8GB or 512MB, not \"lots\".", ErrorOf(With("cuda_memory_limit", "\"lots\"")), StringComparison.Ordinal);
        Assert.EndsWith("'cuda_tf32' must be true or false, not \"yes\".", ErrorOf(With("cuda_tf32", "\"yes\"")), StringComparison.Ordinal);
    }

    [Fact]
    public void Equal_length_batches_are_read_from_the_config_and_otherwise_on_for_the_CPU_and_off_for_CUDA()
    {
        Assert.Null(Load(ValidConfig).EqualLengthBatches);
        Assert.False(Load(With("equal_length_batches", "false")).EqualLengthBatches);
        Assert.True(Load(With("equal_length_batches", "true")).EqualLengthBatches);
        Assert.EndsWith("'equal_length_batches' must be true or false, not \"yes\".", ErrorOf(With("equal_length_batches", "\"yes\"")), StringComparison.Ordinal);
        var onTheCpu = new DuckEmbed.Onnx.SentenceEmbeddingOptions();
        Assert.True(onTheCpu.EqualLengthBatchesOn(DuckEmbed.Onnx.ExecutionDevice.Cpu));
        Assert.False(onTheCpu.EqualLengthBatchesOn(DuckEmbed.Onnx.ExecutionDevice.Cuda));
        Assert.True((onTheCpu with { EqualLengthBatches = true }).EqualLengthBatchesOn(DuckEmbed.Onnx.ExecutionDevice.Cuda));
    }

    [Fact]
    public void The_model_cache_is_beside_the_output_unless_the_config_names_a_folder()
    {
        Assert.Equal(Path.Combine(_folder.Path, "sub", ".duckembed-cache"), Load(ValidConfig).ModelCache);
        Assert.Equal(_folder.File("models"), Load(With("model_cache", "\"models\"")).ModelCache);
    }

    [Theory]
    [InlineData(null, 32 * 32)]
    [InlineData("4", 4 * 32)]
    [InlineData("65536", 1 << 20)]
    public void The_window_is_batch_size_times_batches_per_window_at_most_the_largest_window(string? batchSize, int window)
    {
        var environment = batchSize is null ? null : new Dictionary<string, string> { ["BATCH_SIZE"] = batchSize };
        Assert.Equal(window, Load(ValidConfig, environment).Job.WindowSize);
        Assert.Equal(12, Load(With("batches_per_window", "3"), new() { ["BATCH_SIZE"] = "4" }).Job.WindowSize);
    }

    [Fact]
    public void Generator_calls_default_to_two_and_come_from_the_config()
    {
        Assert.Equal(EmbeddingJob.DefaultGeneratorCalls, Load(ValidConfig).Job.GeneratorCalls);
        Assert.Equal(1, Load(With("generator_calls", "1")).Job.GeneratorCalls);
    }

    [Fact]
    public void Batch_size_comes_from_the_environment_and_unset_is_left_to_the_device()
    {
        Assert.Null(Load(ValidConfig).BatchSize);
        Assert.Equal(128, Load(ValidConfig, new() { ["BATCH_SIZE"] = "128" }).BatchSize);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public void A_batch_size_that_is_not_a_positive_integer_is_refused_by_name(string value)
    {
        Assert.StartsWith("BATCH_SIZE must be a positive whole number", ErrorOf(ValidConfig, new() { ["BATCH_SIZE"] = value }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("65537")]
    [InlineData("2147483647")]
    [InlineData("99999999999999999999")]
    public void A_batch_size_beyond_what_memory_allows_is_refused_by_name_not_overflowed(string value)
    {
        Assert.StartsWith($"BATCH_SIZE {value} is more than the 65,536 texts one batch may hold", ErrorOf(ValidConfig, new() { ["BATCH_SIZE"] = value }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_named()
    {
        var error = Assert.Throws<CliUsageException>(() => RunSettings.Load(_folder.File("none.json"), _ => null));
        Assert.Contains("none.json not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_that_is_not_json_is_refused_with_the_line()
    {
        Assert.Contains("is not valid JSON (line 2)", ErrorOf("{\n  \"input_db_path\": oops\n}"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_setting_is_named()
    {
        Assert.Contains("the setting 'output_table' is missing", ErrorOf(ValidConfig.Replace(", \"output_table\": \"o\"", "", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_setting_of_the_wrong_type_is_named()
    {
        Assert.Contains("'id_column' must be a non-empty string, not 5", ErrorOf(ValidConfig.Replace("\"id\"", "5", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_setting_is_refused_with_the_setting_it_is_closest_to()
    {
        Assert.Contains("'precison' is not a setting; did you mean 'precision'?", ErrorOf(ValidConfig.Replace("\"o\" }", "\"o\", \"precison\": \"int8\" }", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("'colour' is not a setting; available: 'input_db_path',", ErrorOf(ValidConfig.Replace("\"o\" }", "\"o\", \"colour\": \"blue\" }", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void Device_comes_from_the_environment_before_the_config()
    {
        var withCpu = With("device", "\"cpu\"");
        Assert.Equal(ExecutionDevice.Cpu, Load(withCpu).Device);
        Assert.Equal(ExecutionDevice.Cuda, Load(withCpu, new() { ["DEVICE"] = "cuda" }).Device);
        Assert.Equal(ExecutionDevice.Auto, Load(ValidConfig).Device);
        Assert.Contains("device must be auto, cpu or cuda", ErrorOf(withCpu.Replace("cpu", "tpu", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void Precision_unset_is_left_to_the_device_and_anything_else_than_fp32_fp16_int8_is_named()
    {
        Assert.Null(Load(ValidConfig).Precision);
        Assert.Equal(ModelPrecision.Int8, Load(With("precision", "\"INT8\"")).Precision);
        Assert.Equal(ModelPrecision.Fp16, Load(With("precision", "\"fp16\"")).Precision);
        Assert.Equal("precision must be fp32, fp16 or int8, not 'int4'.", ErrorOf(With("precision", "\"int4\"")));
    }

    [Fact]
    public void Memory_limit_and_token_budget_are_read_with_defaults()
    {
        Assert.Equal("256MB", Load(ValidConfig).Job.DuckDbMemoryLimit);
        Assert.Equal("1GB", Load(With("duckdb_memory_limit", "\"1GB\"")).Job.DuckDbMemoryLimit);
        Assert.Null(Load(ValidConfig).MaxBatchTokens);
        Assert.Equal(4096, Load(With("max_batch_tokens", "4096")).MaxBatchTokens);
    }

    [Fact]
    public void Cuda_devices_default_to_every_visible_gpu_and_are_read_as_a_list()
    {
        Assert.Null(Load(ValidConfig).CudaDevices);
        Assert.Equal([1, 0], Load(With("cuda_devices", "[1, 0]")).CudaDevices);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[0, 0]")]
    [InlineData("[-1]")]
    [InlineData("[1.5]")]
    [InlineData("\"0,1\"")]
    public void Cuda_devices_that_are_not_a_list_of_distinct_device_numbers_are_named(string value)
    {
        Assert.Contains($"config.json: 'cuda_devices' must be a list of distinct CUDA device numbers such as [0, 1], not {value}.",
            ErrorOf(With("cuda_devices", value)), StringComparison.Ordinal);
    }

    [Fact]
    public void Vector_type_defaults_to_array_and_anything_but_array_or_list_is_named()
    {
        Assert.Equal(VectorColumnType.Array, Load(ValidConfig).Job.VectorType);
        Assert.Equal(VectorColumnType.List, Load(With("vector_type", "\"list\"")).Job.VectorType);
        Assert.StartsWith("vector_type must be array (FLOAT[N]", ErrorOf(With("vector_type", "\"tensor\"")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_given_twice_is_refused_instead_of_taking_the_last_value()
    {
        var error = ErrorOf(ValidConfig.Replace("\"o\" }", "\"o\", \"output_table\": \"p\" }", StringComparison.Ordinal));
        Assert.EndsWith("is not valid JSON: Duplicate property 'output_table'.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_path_that_is_a_folder_is_named_as_a_folder()
    {
        var error = Assert.Throws<CliUsageException>(() => RunSettings.Load(_folder.Path, _ => null)).Message;
        Assert.Equal($"--config: {_folder.Path} is a folder; pass the config file in it, e.g. --config {Path.Combine(_folder.Path, "config.json")}.", error);
    }
}
