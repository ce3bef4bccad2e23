using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Devices;

/// <summary>Builds the ONNX Runtime session on the chosen <see cref="ExecutionDevice"/>.</summary>
internal static class InferenceSessionFactory
{
    private const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>
    /// The sessions, one per CUDA device used (each with its device number) or one on the CPU, the device they run on
    /// (what <see cref="ExecutionDevice.Auto"/> became), and on CUDA the most token cells one run may take: each
    /// session has run once at the largest shape that fits (<see cref="SessionWarmUp.RunFitting"/>).
    /// </summary>
    /// <param name="modelFor">The model to run on a device (converted to that device's precision when asked).</param>
    /// <param name="location">Where the model came from, for messages.</param>
    /// <param name="options">Device, batch sizes, threads.</param>
    /// <param name="maxLength">Most tokens a text becomes.</param>
    /// <param name="logger">Told the device, and any batch the GPU could not hold.</param>
    public static (IReadOnlyList<DeviceSession> Sessions, ExecutionDevice Device, int? LargestRun) Create(
        Func<ExecutionDevice, byte[]> modelFor, string location, SentenceEmbeddingOptions options, int maxLength, ILogger logger)
    {
        try
        {
            var warmUp = SessionWarmUp.LargestShape(options.MaxBatchSizeOn(ExecutionDevice.Cuda), options.MaxBatchTokensOn(ExecutionDevice.Cuda), maxLength);
            return DeviceSelection.Choose<(IReadOnlyList<DeviceSession> Sessions, ExecutionDevice Device, int? LargestRun)>(options.Device,
                () =>
                {
                    var (sessions, largest) = CreateCuda(() => modelFor(ExecutionDevice.Cuda), options, warmUp, logger);
                    return (sessions, ExecutionDevice.Cuda, largest);
                },
                () => (CreateCpu(modelFor(ExecutionDevice.Cpu), options), ExecutionDevice.Cpu, null),
                onCuda => (onCuda.Sessions.Count == 1 ? "CUDA device " : "CUDA devices ") + string.Join(", ", onCuda.Sessions.Select(s => s.DeviceId)),
                logger);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"{location}: ONNX Runtime cannot load it ({FirstLine(e.Message)}). The model must be a sentence-transformer exported to ONNX (model.onnx), with its vocab.txt.", e);
        }
    }

    private static List<DeviceSession> CreateCpu(byte[] model, SentenceEmbeddingOptions options) =>
        CreateEach(Enumerable.Repeat(0, options.CpuSessions), _ =>
        {
            using var sessionOptions = BaseOptions();
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads ?? Environment.ProcessorCount;
            return new InferenceSession(model, sessionOptions);
        });

    private static (List<DeviceSession> Sessions, int LargestRun) CreateCuda(Func<byte[]> model, SentenceEmbeddingOptions options,
        (int Rows, int Length) warmUp, ILogger logger)
    {
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider))
        {
            throw new CudaUnavailableException(
                "this build has the CPU ONNX Runtime (Microsoft.ML.OnnxRuntime), not the CUDA one (Microsoft.ML.OnnxRuntime.Gpu.Linux)");
        }
        if (CudaLibraryProbe.FindMissing(CudaLibraryProbe.CanLoad) is { } missing)
        {
            throw new CudaUnavailableException(missing);
        }
        var deviceIds = CudaDevices.Resolve(options.CudaDevices, CudaDevices.CountVisible());
        // Converted only now that CUDA is known to be there (fp16: seconds of work an auto run on a laptop never needs).
        var bytes = model();
        var largest = int.MaxValue;
        var sessions = CreateEach(deviceIds, deviceId =>
        {
            var (session, fitted) = CreateCudaSession(bytes, CudaProviderOptions(deviceId, options), warmUp, deviceId == deviceIds[0], logger);
            largest = Math.Min(largest, fitted.Rows * fitted.Length);
            return session;
        });
        return (sessions, largest);
    }

    /// <summary>One session per device; if one cannot be made, the ones made before it are disposed.</summary>
    private static List<DeviceSession> CreateEach(IEnumerable<int> deviceIds, Func<int, InferenceSession> create)
    {
        var sessions = new List<DeviceSession>();
        try
        {
            foreach (var deviceId in deviceIds)
            {
                sessions.Add(new DeviceSession(create(deviceId), deviceId));
            }
            return sessions;
        }
        catch
        {
            sessions.ForEach(s => s.Session.Dispose());
            throw;
        }
    }

    /// <summary>
    /// A session on one device, run once at the largest shape. The first device failing means CUDA is not usable
    /// here (auto falls back to the CPU); a later one failing after the first worked is that device's own fault, and
    /// an error.
    /// </summary>
    private static (InferenceSession Session, (int Rows, int Length) Fitted) CreateCudaSession(byte[] model, Dictionary<string, string> providerOptions,
        (int Rows, int Length) warmUp, bool isFirst, ILogger logger)
    {
        var deviceId = providerOptions["device_id"];
        using var sessionOptions = CudaOptions();
        InferenceSession? session = null;
        try
        {
            using (var cuda = new OrtCUDAProviderOptions())
            {
                cuda.UpdateOptions(providerOptions);
                sessionOptions.AppendExecutionProvider_CUDA(cuda);
            }
            session = new InferenceSession(model, sessionOptions);
            var run = session;
            var fitted = SessionWarmUp.RunFitting((rows, length) => SessionWarmUp.Run(run, rows, length), warmUp, $"CUDA device {deviceId}", logger);
            return (session, fitted);
        }
        catch (Exception e) when (isFirst && e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            session?.Dispose();
            throw new CudaUnavailableException(session is null
                ? $"{FirstLine(e.Message)} — CUDA needs an NVIDIA driver for CUDA 13, the CUDA 13 runtime and cuDNN 9 libraries on the library path (the Docker image has them; run it with --gpus all)"
                : $"the first run on CUDA device {deviceId} ({warmUp.Rows} texts of {warmUp.Length} tokens) failed: {FirstLine(e.Message)} — " +
                  "this ONNX Runtime has CUDA kernels for compute capability 7.5 to 12.0 (not a V100's 7.0 or a B200's 10.0), needs all of cuDNN 9, " +
                  "and the largest batch must fit in the GPU's memory (a smaller batch size or token budget)", e) { Failed = true };
        }
        catch (OnnxRuntimeException e)
        {
            session?.Dispose();
            throw new ModelLoadException(ModelSetting.CudaDevices,
                $"CUDA device {deviceId} cannot run the model ({FirstLine(e.Message)}). Leave it out of the devices (or of CUDA_VISIBLE_DEVICES) to run on the others.", e);
        }
    }

    /// <summary>
    /// The CUDA provider's options: the arena grows by what is asked (kSameAsRequested: batch shapes change every
    /// run, and the warm-up has reserved the largest), at most <see cref="SentenceEmbeddingOptions.CudaMemoryLimitBytes"/>,
    /// and fp32 MatMuls in full fp32 unless <see cref="SentenceEmbeddingOptions.CudaTf32"/> (ONNX Runtime's default is
    /// TF32, 10-bit mantissas, which the fp32 parity with Hugging Face has not been checked under).
    /// </summary>
    internal static Dictionary<string, string> CudaProviderOptions(int deviceId, SentenceEmbeddingOptions options)
    {
        var providerOptions = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = "kSameAsRequested",
            ["use_tf32"] = options.CudaTf32 ? "1" : "0",
        };
        if (options.CudaMemoryLimitBytes is { } limit)
        {
            providerOptions["gpu_mem_limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return providerOptions;
    }

    /// <summary>
    /// A CUDA session's options before its provider is added. One CPU thread inside an operator (ONNX Runtime's
    /// maintainers' advice for CUDA): the GPU does the work, and a full spinning thread pool per GPU would take the
    /// cores that tokenize, pool and write.
    /// </summary>
    internal static SessionOptions CudaOptions()
    {
        var options = BaseOptions();
        options.IntraOpNumThreads = 1;
        return options;
    }

    private static SessionOptions BaseOptions() => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        InterOpNumThreads = 1,
    };

    /// <summary>ONNX Runtime's messages carry a stack of lines; the first says what failed.</summary>
    internal static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
