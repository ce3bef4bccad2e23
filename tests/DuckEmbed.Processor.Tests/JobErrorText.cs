namespace DuckEmbed.Processor.Tests;

/// <summary>An error as the tests compare it: the setting it names, then its message.</summary>
internal static class JobErrorText
{
    public static string Described(this EmbeddingJobException error) =>
        error.Setting == JobSetting.None ? error.Message : $"{error.Setting}: {error.Message}";
}
