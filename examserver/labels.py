"""The labels of every enumerated value, in one registry.

``LABELS`` maps the name of an enumeration (``"item_status"``, ``"session_status"``, ...) to its
codes, each with a lazily translated label. The order of each mapping is the order readers see
(select choices, tabs, tables), so keep it when adding a code.

In Python::

    label("item_status", item.status)   # the translated label, a str
    choices("delivery_mode")             # [(code, lazy label), ...] for a SelectField

In templates (registered once in the app factory), the ``label`` filter and the ``labels`` global::

    {{ item.status|label("item_status") }}
    {% for code, text in labels.complaint_status.items() %}...{% endfor %}

A code the registry does not know is a bug: :func:`label` logs a warning (once per enumeration and
code) and returns the code as it is, so the page still shows something and tests can see the miss.
"""

from __future__ import annotations

import logging

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

#: A code of an enumeration: a string, except the nine-box levels (0, 1, 2).
Code = str | int

LABELS: dict[str, dict[Code, LazyString]] = {
    # ------------------------------------------------------------------ accounts
    "role": {
        "candidate": _l("Peserta"),
        "item_writer": _l("Penulis soal"),
        "reviewer": _l("Penelaah soal"),
        "proctor": _l("Pengawas"),
        "committee": _l("Panitia seleksi"),
        "hr_officer": _l("Petugas SDM"),
        "inspector": _l("Inspektorat"),
        "admin": _l("Administrator"),
    },
    # ------------------------------------------------------------------ item bank
    "item_type": {
        "single_choice": _l("Pilihan ganda (satu jawaban benar)"),
        "weighted_options": _l("Pilihan berbobot (setiap opsi bernilai 0-5)"),
        "multiple_response": _l("Pilihan jamak (beberapa jawaban benar)"),
        "true_false": _l("Benar/Salah"),
        "numeric": _l("Isian angka"),
    },
    "delivery_mode": {
        "fixed": _l("Naskah tetap"),
        "random": _l("Naskah acak per peserta"),
        "adaptive": _l("Adaptif (CAT)"),
    },
    "item_status": {
        "draft": _l("Draf"),
        "in_review": _l("Ditelaah"),
        "approved": _l("Disetujui"),
        "pilot": _l("Uji coba"),
        "operational": _l("Operasional"),
        "retired": _l("Dipensiunkan"),
    },
    "calibration_mode": {
        "fixed": _l("Parameter tetap (jangkar dipegang, butir baru diestimasi)"),
        "recalibrate": _l("Kalibrasi ulang dan penyetaraan Stocking-Lord"),
    },
    "calibration_run_status": {
        "draft": _l("Menunggu telaah"),
        "published": _l("Diterbitkan"),
        "discarded": _l("Dibatalkan"),
    },
    "item_action": {
        "created": _l("dibuat"),
        "imported": _l("diimpor"),
        "edited": _l("diubah"),
        "submitted": _l("diajukan untuk ditelaah"),
        "approved": _l("disetujui"),
        "returned": _l("dikembalikan ke penulis"),
        "revised": _l("ditarik untuk direvisi"),
        "piloted": _l("diuji coba"),
        "operational": _l("dioperasikan"),
        "retired": _l("dipensiunkan"),
        "parameters": _l("parameter baru dari kalibrasi"),
    },
    "calibration_source": {
        "sessions": _l("sesi ujian"),
        "upload": _l("berkas respons yang diunggah"),
        "import": _l("parameter bank yang diimpor"),
    },
    #: IRT models keep their abbreviations; a run that used several is "mixed".
    "irt_model": {
        "rasch": _l("Rasch"),
        "1pl": _l("1PL"),
        "2pl": _l("2PL"),
        "3pl": _l("3PL"),
        "grm": _l("GRM"),
        "gpcm": _l("GPCM"),
        "mixed": _l("campuran (model per jenis butir)"),
    },
    "calibration_flag": {
        "drift": _l("jangkar bergeser"),
        "misfit": _l("tidak cocok model"),
        "large_change": _l("perubahan besar"),
        "low_discrimination": _l("daya beda rendah"),
        "dif": _l("DIF (kelas ETS B/C)"),
        "new": _l("parameter pertama"),
    },
    # ------------------------------------------------------------------ delivery
    "session_status": {
        "scheduled": _l("Terjadwal"),
        "in_progress": _l("Sedang dikerjakan"),
        "submitted": _l("Selesai"),
        "expired": _l("Waktu habis"),
        "terminated": _l("Dihentikan pengawas"),
    },
    #: Verdict codes of :mod:`scoring.verdict`, per section and per result.
    "section_verdict": {
        "met": _l("Memenuhi"),
        "not_met": _l("Tidak memenuhi"),
        "none": _l("tidak ada ambang"),
    },
    "result_verdict": {
        "pass": _l("LULUS ambang batas"),
        "fail": _l("TIDAK LULUS ambang batas"),
        "none": _l("tidak ada ambang kelulusan"),
    },
    # ------------------------------------------------------------------ proctoring
    # ------------------------------------------------------------------ test sites
    #: Why a site's results file was refused (examserver.sites.chains, examserver.sites.results).
    "site_problem": {
        "bundle_malformed": _l("data rantai tidak terbaca"),
        "payload_altered": _l("catatan diubah setelah dirantai"),
        "payload_purged": _l("isi catatan dihapus"),
        "link_broken": _l("mata rantai putus"),
        "position_gap": _l("ada catatan yang hilang dari rantai"),
        "wrong_chain": _l("catatan milik sesi lain"),
        "record_type_mismatch": _l("jenis catatan diubah"),
        "checkpoint_mismatch": _l("titik periksa tidak cocok dengan rantai"),
        "checkpoint_beyond_chain": _l("ujung rantai dipotong"),
        "checkpoint_missing": _l("rantai tanpa titik periksa"),
        "sheet_mismatch": _l("lembar jawaban tidak cocok dengan jawaban yang disimpan"),
        "answer_not_in_chain": _l("jawaban diubah setelah disimpan"),
        "answer_missing": _l("jawaban yang tercatat tidak ada dalam berkas"),
        "row_malformed": _l("baris jawaban tidak terbaca"),
        "not_in_roster": _l("sesi tidak ada dalam daftar peserta lokasi"),
        "registration_number_differs": _l("nomor peserta tidak cocok"),
        "receipt_not_in_chain": _l("tanda terima peserta tidak cocok dengan rantai"),
        "imported_differently": _l("sesi sudah diimpor dengan rantai lain"),
    },
    "session_event": {
        "focus_lost": _l("meninggalkan jendela ujian"),
        "fullscreen_exit": _l("keluar layar penuh"),
        "copy": _l("menyalin"),
        "cut": _l("memotong"),
        "paste": _l("menempel"),
        "context_menu": _l("menu klik kanan"),
        "shortcut": _l("pintasan terlarang"),
        "unload": _l("menutup/memuat ulang halaman"),
        "offline": _l("luring"),
        "online": _l("daring kembali"),
        "session_started": _l("mulai ujian"),
        "session_resumed": _l("melanjutkan ujian"),
        "new_address": _l("alamat jaringan baru"),
        "other_device_refused": _l("ditolak: perangkat lain"),
        "second_session": _l("masuk dari peramban lain"),
        "session_submitted": _l("menyelesaikan ujian"),
        "session_expired": _l("waktu habis"),
        "session_terminated": _l("dihentikan pengawas"),
        "fast_answers": _l("jawaban sangat cepat"),
        "start_authorised": _l("diizinkan mulai"),
        "paused": _l("dijeda"),
        "resumed": _l("dilanjutkan"),
        "time_extended": _l("waktu ditambah"),
        "message": _l("pesan pengawas"),
        "device_change_allowed": _l("diizinkan pindah perangkat"),
        "terminated": _l("dihentikan"),
        "items_other_device": _l("ditolak: membaca soal dari perangkat lain"),
        "pin_locked": _l("PIN mulai salah berulang kali: mulai dikunci sementara"),
        "site_duplicate": _l("juga mengerjakan ujian ini di lokasi ujian: hasil lokasi tidak digabung"),
    },
    "proctor_decision": {"cleared": _l("bersih"), "warning": _l("peringatan"), "invalidated": _l("dibatalkan")},
    "proctor_appeal_status": {"open": _l("terbuka"), "upheld": _l("diterima"), "rejected": _l("ditolak")},
    #: A session's standing (proctoring.standing.State), as candidates, the public and staff read it.
    "session_standing": {
        "valid": _l("sah"),
        "under_review": _l("sedang ditinjau"),
        "invalidated": _l("dibatalkan"),
        "appeal_pending": _l("dibatalkan, sanggahan sedang diperiksa"),
        "restored": _l("dipulihkan setelah sanggahan"),
    },
    #: The two levels of a proctor's reason (``examinee.collusion``); see :func:`reason_category_label`.
    "reason_category": {
        "environment": _l("Lingkungan"),
        "examinee": _l("Peserta"),
        "staff": _l("Petugas"),
        "technical": _l("Teknis"),
        "other": _l("Lainnya"),
    },
    "reason_subcategory": {
        "noise": _l("bising"),
        "power": _l("listrik padam"),
        "internet": _l("internet"),
        "illness": _l("sakit"),
        "misconduct": _l("pelanggaran tata tertib"),
        "collusion": _l("kerja sama / menyontek"),
        "impersonation": _l("perjokian"),
        "prohibited_device": _l("perangkat terlarang"),
        "error": _l("kesalahan"),
        "server": _l("server"),
        "device": _l("perangkat"),
        "network": _l("jaringan"),
        "other": _l("lainnya"),
    },
    # ------------------------------------------------------------------ selection
    "selection_stage": {
        "administrative": _l("Seleksi administrasi"),
        "basic": _l("Seleksi kompetensi dasar (SKD)"),
        "field": _l("Seleksi kompetensi bidang (SKB)"),
        "final": _l("Hasil akhir"),
    },
    "application_status": {
        "draft": _l("draf (belum dikirim)"),
        "submitted": _l("dikirim, menunggu verifikasi"),
        "accepted": _l("memenuhi syarat"),
        "rejected": _l("tidak memenuhi syarat"),
    },
    "document_status": {"pending": _l("belum diperiksa"), "accepted": _l("diterima"), "rejected": _l("ditolak")},
    "selection_appeal_status": {"open": _l("menunggu keputusan"), "upheld": _l("diterima"), "rejected": _l("ditolak")},
    "selection_result": {
        "ADMIN_FAILED": _l("tidak memenuhi syarat administrasi"),
        "ABSENT": _l("tidak hadir"),
        "BELOW_THRESHOLD": _l("di bawah nilai ambang batas"),
        "NOT_SHORTLISTED": _l("tidak masuk 3x formasi"),
        "SHORTLISTED": _l("lulus ke SKB"),
        "NOT_SELECTED": _l("tidak lulus"),
        "SELECTED": _l("lulus"),
        "SELECTED_BY_FILLING": _l("lulus (optimalisasi formasi)"),
        "INVALIDATED": _l("gugur: hasil ujian dibatalkan"),
    },
    #: The status column of the administrative announcement's CSV (selection.announcements).
    "administrative_result": {
        "MEMENUHI_SYARAT": _l("memenuhi syarat"),
        "TIDAK_MEMENUHI_SYARAT": _l("tidak memenuhi syarat"),
    },
    #: The columns of an announcement's CSV, as its page heads them (the CSV keeps these codes).
    "announcement_column": {
        "nomor_peserta": _l("Nomor peserta"),
        "nama": _l("Nama"),
        "formasi": _l("Formasi"),
        "kategori": _l("Kategori"),
        "total_skd": _l("Total SKD"),
        "nilai_skb": _l("Nilai SKB"),
        "nilai_akhir": _l("Nilai akhir"),
        "peringkat_skd": _l("Peringkat SKD"),
        "peringkat_akhir": _l("Peringkat akhir"),
        "status": _l("Status"),
        "formasi_penempatan": _l("Formasi penempatan"),
        "tanda_terima": _l("Tanda terima ujian"),
        "kepala_rantai": _l("Kepala rantai log ujian"),
    },
    #: Kinds of SKB components; a component scored with a rubric is named by the rubric.
    "field_component_kind": {
        "computer": _l("Tes berbantuan komputer (CAT)"),
        "interview": _l("Wawancara"),
        "other": _l("Komponen lain"),
    },
    "applicant_category": {
        "general": _l("umum"),
        "cum_laude": _l("lulusan cum laude"),
        "disability": _l("penyandang disabilitas"),
        "papua": _l("putra/putri Papua"),
    },
    #: Education levels (jenjang) of a position's qualification, lowest first; "unknown" when not stated.
    "education_level": {
        "SMA": _l("SMA/SMK sederajat"),
        "D3": _l("Diploma III"),
        "D4": _l("Diploma IV"),
        "S1": _l("Sarjana (S-1)"),
        "S2": _l("Magister (S-2)"),
        "S3": _l("Doktor (S-3)"),
        "unknown": _l("jenjang tidak disebut"),
    },
    # ------------------------------------------------------------------ inspectorate
    "complaint_category": {
        "nepotism": _l("Nepotisme atau titipan"),
        "bribery": _l("Suap atau pungutan"),
        "cheating": _l("Kecurangan saat ujian"),
        "leak": _l("Kebocoran soal"),
        "procedure": _l("Pelanggaran prosedur seleksi"),
        "other": _l("Lainnya"),
    },
    "complaint_subject": {
        "period": _l("Periode seleksi secara umum"),
        "sitting": _l("Lokasi atau jadwal ujian"),
        "committee": _l("Anggota panitia seleksi"),
        "proctor": _l("Pengawas ujian"),
    },
    "complaint_status": {
        "received": _l("Diterima"),
        "assessed": _l("Ditelaah"),
        "investigating": _l("Dalam pemeriksaan"),
        "concluded": _l("Selesai"),
    },
    "complaint_outcome": {
        "substantiated": _l("Terbukti"),
        "not_substantiated": _l("Tidak terbukti"),
        "open": _l("Belum selesai"),
    },
    "sanction_kind": {
        "warning": _l("Teguran"),
        "committee_removal": _l("Dicoret dari panitia seleksi"),
        "proctor_removal": _l("Dicoret dari daftar pengawas"),
        "referral": _l("Diteruskan ke penegak hukum atau pejabat pembina"),
        "disqualification": _l("Didiskualifikasi dari satu periode"),
        "ban": _l("Dilarang mendaftar beberapa periode"),
    },
    #: Words of a step, as the case page's history shows them.
    "complaint_step": {
        "received": _l("Pengaduan masuk"),
        "assessed": _l("Ditelaah"),
        "investigating": _l("Pemeriksaan dimulai"),
        "concluded": _l("Disimpulkan"),
    },
    # ------------------------------------------------------------------ HR
    "success_profile_status": {"proposed": _l("usulan"), "accepted": _l("diterima")},
    "training_mode": {"online": _l("daring"), "classroom": _l("klasikal")},
    "moderation_status": {"pending": _l("menunggu moderasi"), "approved": _l("disetujui"), "rejected": _l("ditolak")},
    "development_plan_status": {"proposed": _l("usulan"), "agreed": _l("disepakati"), "completed": _l("selesai")},
    "employee_grouping": {
        "all": _l("semua pegawai"),
        "unit": _l("unit kerja"),
        "region": _l("wilayah"),
        "position": _l("jabatan"),
    },
    "consultation_topic": {
        "thresholds": _l("Nilai ambang batas"),
        "weights": _l("Bobot SKD dan SKB"),
        "requirements": _l("Persyaratan jabatan"),
        "documents": _l("Dokumen yang diminta"),
        "other": _l("Lainnya"),
    },
    "nine_box_level": {0: _l("rendah"), 1: _l("sedang"), 2: _l("tinggi")},
    "nine_box": {
        "underperformer": _l("Kinerja di bawah harapan"),
        "effective": _l("Efektif"),
        "trusted_professional": _l("Profesional andal"),
        "inconsistent": _l("Belum konsisten"),
        "core_player": _l("Andalan inti"),
        "high_performer": _l("Berkinerja tinggi"),
        "enigma": _l("Potensi belum tampak dalam kinerja"),
        "growth": _l("Siap berkembang"),
        "star": _l("Bintang"),
        "insufficient_data": _l("Belum dapat dipetakan"),
    },
    "development_recommendation": {
        "further_education": _l("usulkan pendidikan lanjutan"),
        "coaching": _l("pembinaan (coaching) oleh atasan"),
        "develop_in_role": _l("kembangkan pada jabatan sekarang"),
        "insufficient_data": _l("lengkapi data terlebih dahulu"),
    },
    #: Selection score keys; SKD sections (``SKD.TWK``) keep their code, see hr.messages.score_label.
    "selection_score": {"SKD": _l("SKD total"), "SKB": _l("SKB (nilai bidang)"), "final": _l("Nilai akhir")},
}

_warned: set[tuple[str, Code]] = set()


def label(kind: str, code: Code | None) -> str:
    """The translated label of ``code`` in the enumeration ``kind``; "" for no code.

    An unknown code is logged once as a warning and comes back as it is. An unknown ``kind`` is a
    programming error and raises KeyError.
    """
    labels = LABELS[kind]
    if code is None:
        return ""
    text = labels.get(code)
    if text is None:
        if (kind, code) not in _warned:
            _warned.add((kind, code))
            log.warning("no label for %r in %r", code, kind)
        return str(code)
    return str(text)


def label_filter(code: Code | None, kind: str) -> str:
    """``{{ code|label("kind") }}`` in templates (registered as a filter of the reader's language:
    ``examserver.per_reader``)."""
    return label(kind, code)


def choices(kind: str) -> list[tuple[Code, LazyString]]:
    """The codes of ``kind`` with their (lazy) labels, in order, for a SelectField's choices."""
    return list(LABELS[kind].items())
