// A SoapySDR device for tests, "driver=plcstack_loopback": what is transmitted comes back
// in the receive stream at the time it was sent for, plus complex noise, in real time
// (steady clock). Devices opened with the same "line=NAME" share one line: each hears what
// all of them send (two stacks in one process talking over "the air"). With "share=FILE"
// the line lives in that file, mapped by every process that opens it (a concentrator
// daemon and meter processes on one line; the first to open it sets it up, the test
// removes the file). SoapySDR hands out one device per distinct argument set: give each
// device on a line its own (node=a, ...). It keeps hardware time like a USRP (args: time=0
// for a device without, like a HackRF), refuses nothing, reports late bursts through
// readStreamStatus and overflows when the host reads more than 0.25 s behind. SoapySDR's
// driver interface is C++ only, hence the one C++ file in the project; it is loaded by
// tests/test_soapy.c, or found through SOAPY_SDR_PLUGIN_PATH.
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <complex>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

const char *const DRIVER = "plcstack_loopback";

// The line: a ring of samples tagged with their index (a slot of another lap reads as 0),
// with the clock every device on it counts from; in this process's memory, or in a file
// mapped by every process on the line (writes under a process-shared mutex).
struct Line {
    static const long long RING = 1 << 22; // 4 s at 1 MS/s
    struct Slot {
        long long index;
        std::complex<float> v;
    };
    struct Shared {
        std::atomic<unsigned> ready;
        pthread_mutex_t mu;
        long long epoch_ns; // steady clock (CLOCK_MONOTONIC: the same in every process)
        Slot ring[RING];
    };
    Shared *s = nullptr;
    bool mapped = false;

    Line()
    {
        s = new Shared;
        s->epoch_ns = now_ns();
        for (long long i = 0; i < RING; i++)
            s->ring[i] = Slot{-1, {}};
    }
    explicit Line(const std::string &file)
    {
        int fd = open(file.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
        const bool first = fd >= 0;
        if (!first)
            fd = open(file.c_str(), O_RDWR);
        if (fd < 0 || (first && ftruncate(fd, sizeof(Shared)) != 0))
            throw std::runtime_error("plcstack_loopback: cannot open " + file);
        struct stat st;
        for (int k = 0; k < 2000 && fstat(fd, &st) == 0 && st.st_size < (off_t)sizeof(Shared); k++)
            usleep(1000); // another process is setting it up
        void *m = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (m == MAP_FAILED)
            throw std::runtime_error("plcstack_loopback: cannot map " + file);
        s = static_cast<Shared *>(m);
        mapped = true;
        if (first) { // zero-filled: every slot reads as silence (index 0 holds 0)
            pthread_mutexattr_t a;
            pthread_mutexattr_init(&a);
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            pthread_mutex_init(&s->mu, &a);
            s->epoch_ns = now_ns();
            s->ready.store(1);
        }
        for (int k = 0; k < 2000 && !s->ready.load(); k++)
            usleep(1000);
    }
    ~Line()
    {
        if (mapped)
            munmap(s, sizeof(Shared));
        else
            delete s;
    }
    static long long now_ns()
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    std::complex<float> at(long long i) const
    {
        const Slot &t = s->ring[i & (RING - 1)];
        return t.index == i ? t.v : std::complex<float>(0.0f, 0.0f);
    }
    void add(long long i, const std::complex<float> *v, size_t n)
    {
        if (mapped)
            pthread_mutex_lock(&s->mu);
        for (size_t k = 0; k < n; k++, i++) {
            Slot &t = s->ring[i & (RING - 1)];
            if (t.index != i)
                t = Slot{i, v[k]};
            else
                t.v += v[k];
        }
        if (mapped)
            pthread_mutex_unlock(&s->mu);
    }
};

std::shared_ptr<Line> line_named(const SoapySDR::Kwargs &args)
{
    static std::map<std::string, std::weak_ptr<Line>> lines;
    const bool file = args.count("share") != 0;
    if (!file && !args.count("line"))
        return std::make_shared<Line>();
    const std::string key = file ? "file:" + args.at("share") : args.at("line");
    std::shared_ptr<Line> l = lines[key].lock();
    if (!l) {
        l = file ? std::make_shared<Line>(args.at("share")) : std::make_shared<Line>();
        lines[key] = l;
    }
    return l;
}

class Loopback : public SoapySDR::Device {
public:
    explicit Loopback(const SoapySDR::Kwargs &args)
        : timed_(!args.count("time") || args.at("time") != "0"),
          noise_(args.count("noise") ? std::stof(args.at("noise")) : 1e-3f),
          line_(line_named(args)), gauss_(0.0f, 1.0f)
    {
    }

    std::string getDriverKey() const override { return DRIVER; }
    std::string getHardwareKey() const override { return DRIVER; }
    size_t getNumChannels(const int) const override { return 1; }
    std::vector<std::string> getStreamFormats(const int, const size_t) const override
    {
        return {SOAPY_SDR_CF32};
    }
    void setSampleRate(const int, const size_t, const double rate) override { rate_ = rate; }
    double getSampleRate(const int, const size_t) const override { return rate_; }
    void setFrequency(const int, const size_t, const double f, const SoapySDR::Kwargs &) override
    {
        freq_ = f;
    }
    double getFrequency(const int, const size_t) const override { return freq_; }
    void setGain(const int, const size_t, const double) override {}
    bool hasHardwareTime(const std::string &) const override { return timed_; }
    long long getHardwareTime(const std::string &) const override { return ns(now()); }

    SoapySDR::Stream *setupStream(const int direction, const std::string &format,
                                  const std::vector<size_t> &, const SoapySDR::Kwargs &) override
    {
        if (format != SOAPY_SDR_CF32)
            throw std::runtime_error("plcstack_loopback: CF32 only");
        return reinterpret_cast<SoapySDR::Stream *>(direction == SOAPY_SDR_RX ? &rx_ : &tx_);
    }
    void closeStream(SoapySDR::Stream *) override {}
    int activateStream(SoapySDR::Stream *s, const int, const long long, const size_t) override
    {
        if (s == reinterpret_cast<SoapySDR::Stream *>(&rx_)) {
            rx_active_ = true;
            rx_next_ = now();
        }
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *s, const int, const long long) override
    {
        if (s == reinterpret_cast<SoapySDR::Stream *>(&rx_))
            rx_active_ = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *, void *const *buffs, const size_t max, int &flags,
                   long long &timeNs, const long timeoutUs) override
    {
        if (!rx_active_)
            return SOAPY_SDR_TIMEOUT;
        long long avail = now() - rx_next_;
        if (avail > (long long)(rate_ / 4)) { // the host fell behind: drop what it missed
            rx_next_ = now();
            return SOAPY_SDR_OVERFLOW;
        }
        if (avail <= 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(timeoutUs));
            avail = now() - rx_next_;
            if (avail <= 0)
                return SOAPY_SDR_TIMEOUT;
        }
        const size_t n = std::min((size_t)avail, max);
        auto *out = static_cast<std::complex<float> *>(buffs[0]);
        for (size_t k = 0; k < n; k++)
            out[k] = line_->at(rx_next_ + (long long)k) +
                     noise_ * std::complex<float>(gauss_(rng_), gauss_(rng_));
        flags = timed_ ? SOAPY_SDR_HAS_TIME : 0;
        timeNs = timed_ ? ns(rx_next_) : 0;
        rx_next_ += (long long)n;
        return (int)n;
    }

    int writeStream(SoapySDR::Stream *, const void *const *buffs, const size_t n, int &flags,
                    const long long timeNs, const long) override
    {
        const long long t = now();
        if (!in_burst_) {
            in_burst_ = true;
            burst_at_ = timed_ && (flags & SOAPY_SDR_HAS_TIME) ? index(timeNs)
                                                                : std::max(t + (long long)(rate_ / 1000), tx_free_);
            late_ = burst_at_ < t;
            if (late_)
                status_.push_back({SOAPY_SDR_TIME_ERROR, timeNs});
            if (burst_at_ - t > Line::RING / 2)
                return SOAPY_SDR_STREAM_ERROR; // too far ahead for the line buffer
        }
        const auto *in = static_cast<const std::complex<float> *>(buffs[0]);
        if (!late_) // transmissions add up, as on a line
            line_->add(burst_at_, in, n);
        burst_at_ += (long long)n;
        if (flags & SOAPY_SDR_END_BURST) {
            in_burst_ = false;
            tx_free_ = burst_at_;
        }
        return (int)n;
    }

    int readStreamStatus(SoapySDR::Stream *s, size_t &mask, int &flags, long long &timeNs,
                         const long) override
    {
        if (s != reinterpret_cast<SoapySDR::Stream *>(&tx_) || status_.empty())
            return SOAPY_SDR_TIMEOUT;
        const Status st = status_.front();
        status_.erase(status_.begin());
        mask = 1;
        flags = SOAPY_SDR_HAS_TIME;
        timeNs = st.time;
        return st.code;
    }

private:
    struct Status {
        int code;
        long long time;
    };

    long long now() const
    {
        return (long long)((double)(Line::now_ns() - line_->s->epoch_ns) * 1e-9 * rate_);
    }
    long long ns(long long i) const { return (long long)((double)i / rate_ * 1e9); }
    long long index(long long t) const { return (long long)std::llround((double)t * 1e-9 * rate_); }

    bool timed_;
    float noise_;
    std::shared_ptr<Line> line_;
    std::mt19937 rng_{7};
    std::normal_distribution<float> gauss_;
    double rate_ = 1e6, freq_ = 0;
    int rx_ = 0, tx_ = 0;
    bool rx_active_ = false, in_burst_ = false, late_ = false;
    long long rx_next_ = 0, burst_at_ = 0, tx_free_ = 0;
    std::vector<Status> status_;
};

SoapySDR::KwargsList find_loopback(const SoapySDR::Kwargs &args)
{
    // only when asked for by name: a search for "any device" must not find a test double
    if (!args.count("driver") || args.at("driver") != DRIVER)
        return {};
    SoapySDR::Kwargs k = args;
    k["label"] = "plcstack loopback (test device)";
    return {k};
}

SoapySDR::Device *make_loopback(const SoapySDR::Kwargs &args) { return new Loopback(args); }

SoapySDR::Registry registration(DRIVER, &find_loopback, &make_loopback, SOAPY_SDR_ABI_VERSION);

} // namespace
