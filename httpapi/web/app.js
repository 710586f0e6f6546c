// Dashboard of the union welfare activity ledger.
//
// Plain JavaScript, no libraries, no build step; it runs under the page's
// Content-Security-Policy (script-src 'self', style-src 'self'), so nothing
// here writes inline scripts or style attributes into markup.
//
// Security rule of this file: text that comes from the API (names, summaries,
// actors, venues, reasons, messages) is only ever inserted with textContent
// or text nodes (the h() helper below). Nothing here uses innerHTML.
//
// Money arrives as yuan strings ("5120000.00"). It is parsed into BigInt fen
// for any sum or difference that is shown; Number() is used only for the
// ratios that size bars.
"use strict";

(function () {
  const TOKEN_KEY = "ledger.token";
  const LANG_KEY = "ledger.lang";
  const FEED_MAX = 50;
  const REPLAY_ENTRIES = 30;
  // Campaign figures come from one totals request per campaign, so they are
  // fetched only for campaigns whose entries arrived, at most this often.
  const CAMPAIGN_REFRESH_MS = 500;
  const RECONNECT_MS = 3000;

  // ---------------------------------------------------------------- texts

  const TEXT = {
    zh: {
      title: "鄂尔多斯市总工会 · 帮扶活动台账",
      subtitle: "四季送 · 款物与服务实时看板",
      switchLang: "English",
      role: "角色",
      signOut: "退出",
      loginTitle: "请输入访问令牌",
      loginHelp: "令牌由管理员发放；只保存在本浏览器中。",
      tokenLabel: "访问令牌",
      signIn: "登录",
      tokenInvalid: "令牌无效，请重新输入。",
      networkError: "无法连接服务器，请稍后再试。",
      loadFailed: "加载失败：",
      liveIdle: "未连接",
      liveConnecting: "连接中…",
      liveOn: "实时更新中",
      liveOff: "连接中断，正在重连…",
      kpiReceived: "到账捐款",
      kpiSpent: "已支出",
      kpiGoods: "捐赠物资估值",
      kpiPeople: "惠及职工（人次）",
      countiesTitle: "各旗区资金汇总",
      moneyNote: "金额单位：元（人民币）",
      colRegion: "地区",
      colReceived: "到账捐款",
      colAllocatedIn: "下拨到位",
      colAllocatedOut: "向下拨付",
      colSpent: "支出",
      colBalance: "结余",
      colPeople: "惠及人数",
      totalRow: "合计",
      cityLevel: "市本级",
      chartTitle: "各旗区资金流入与支出",
      legendIn: "到账＋下拨",
      legendSpent: "支出",
      mapTitle: "旗区分布示意",
      mapNote: "按资金流入（到账＋下拨）着色；位置为示意，非比例。",
      scaleLow: "少",
      scaleHigh: "多",
      campaignsTitle: "活动进度：筹集与支出",
      raised: "筹集",
      spent: "支出",
      balance: "结余",
      goodsExtra: "另有物资估值 {value}",
      usedPct: "已使用 {pct}",
      noActivity: "尚无记录",
      groupsTitle: "受益群体",
      unitPersonTimes: "单位：人次",
      noData: "暂无数据",
      trainingTitle: "培训宣讲参与情况",
      colFormat: "形式",
      colSessions: "场次",
      colParticipants: "参与人数",
      formatOnline: "线上",
      formatOffline: "线下",
      formatBoth: "线上＋线下",
      servicesTitle: "服务（送健康、送法律、走访慰问）",
      colServiceKind: "服务类型",
      colCount: "次数",
      colPersonTimes: "服务人次",
      "kind.health-checkup": "送健康（体检）",
      "kind.legal-consultation": "送法律（咨询）",
      "kind.visit": "走访慰问",
      "kind.station-opened": "服务站点",
      "kind.assistance": "其他帮扶",
      feedTitle: "实时动态",
      feedNote: "最新记录在上方",
      feedEmpty: "等待新的记录…",
      feedActor: "录入人",
      feedOccurred: "发生于",
      feedRecorded: "记录于",
      feedAudit: "审计追踪",
      "type.donation_pledged": "认捐",
      "type.donation_received": "捐赠到账",
      "type.funds_allocated": "资金下拨",
      "type.supplies_delivered": "物资配送",
      "type.training_held": "培训宣讲",
      "type.service_provided": "服务",
      "type.entry_voided": "作废",
      "type.entry_corrected": "更正",
      "type.bank_line_imported": "银行流水导入",
      "type.match_confirmed": "对账确认",
      "type.match_rejected": "驳回匹配建议",
      "type.fee_written_off": "手续费核销",
      "type.bank_line_written_off": "流水核销",
      "type.statement_imported": "导入对账单",
      "type.refund_paired": "原路退回",
      "type.decision_undone": "撤销对账决定",
      "type.period_closed": "月度结账",
      "type.period_reopened": "重开月份",
      auditTitle: "审计追踪",
      auditHelp: "输入事件 ID、记录编号（如捐赠编号）、活动代码或地区代码。",
      auditIdLabel: "查询编号",
      auditPlaceholder: "如 D-2022-SC-0001",
      auditLookup: "查询",
      auditLoading: "查询中…",
      auditSubject: "对象",
      auditKind: "类别",
      auditCount: "共 {n} 条",
      auditCountOne: "共 1 条",
      "auditKind.entry": "单条记录",
      "auditKind.campaign fund": "活动资金",
      "auditKind.region": "地区",
      colPosition: "序号",
      colType: "类型",
      colActor: "录入人",
      colRecordedAt: "记录时间",
      colOccurredAt: "发生时间",
      colSummary: "摘要",
      colChanges: "变更",
      colReason: "原因",
      entryTitle: "录入记录",
      fEntryType: "记录类型",
      typeDonationMoney: "捐款到账",
      typeDelivery: "物资配送",
      fCounty: "地区",
      fCampaign: "活动",
      fOccurred: "发生时间（北京时间）",
      fDonationId: "捐赠编号",
      fDonorKind: "捐赠方类型",
      donorEnterprise: "企业",
      donorOrganisation: "社会组织",
      donorUnion: "上级工会拨款",
      donorIndividual: "个人",
      fDonorOrg: "捐赠单位",
      fAmount: "金额（元）",
      fBankRef: "银行流水号",
      fNote: "备注",
      fDeliveryId: "配送编号",
      fGroup: "受益群体",
      fSiteKind: "地点类型",
      fSiteName: "地点名称",
      fHeadcount: "受益人数",
      fSpent: "支出金额（元，可空）",
      fItems: "物资明细",
      fItem: "物资",
      fUnit: "单位",
      fQuantity: "数量",
      fValue: "估值（元）",
      addItem: "＋ 添加一行",
      removeItem: "删除",
      fFundId: "资金来源：捐赠编号（可空）",
      fFundAmount: "使用该捐赠金额（元）",
      submit: "提交",
      submitting: "提交中…",
      resetForm: "清空",
      recorded: "已记录：日志位置 {position}，事件 ID {id}",
      duplicate: "此前已记录（相同幂等键），未重复写入：日志位置 {position}",
      notWritten: "未写入。",
      otherProblems: "其他问题：",
      footerPosition: "日志位置",
      footerUpdated: "更新于",
      footerNote: "数据来自事件日志，任何合计均可由日志重新计算。",
      "role.viewer": "看板查看",
      "role.clerk": "录入员",
      "role.finance": "财务",
      "role.auditor": "审计",
      "role.admin": "管理员",
      tabsLabel: "页面",
      tabOverview: "活动看板",
      tabAccess: "访问记录",
      accessTitle: "个人信息访问记录",
      accessNote: "每一次读取个人信息（姓名、电话）都先记录于此，再作答复；记录只增不删。",
      accessWhen: "时间",
      accessReader: "读取者",
      accessRole: "角色",
      accessVia: "途径",
      accessSubjects: "涉及的人",
      accessEmpty: "尚无读取记录。",
      tabFinance: "财务对账",
      finTitle: "银行对账",
      finPosition: "对账至日志位置",
      finRefresh: "刷新",
      finExportXlsx: "导出 Excel",
      finExportCsv: "导出 CSV",
      finExporting: "正在导出…",
      finExported: "已下载 {name}",
      finExportFailed: "导出失败：",
      finReadOnly: "审计角色只读：可查看与导出，不能确认、驳回或核销。",
      finLoading: "加载中…",
      "finSum.matched": "已匹配",
      "finSum.suggested": "待确认",
      "finSum.unmatched-lines": "未匹配流水",
      "finSum.unmatched-donations": "未见到账的捐赠",
      "finSum.outstanding-pledges": "未兑现认捐",
      "finSum.written-off": "已核销",
      "finSum.refunds": "退回",
      "finSum.fees": "手续费",
      "finSum.printed-twice": "银行重复打印",
      "finSum.possible-duplicates": "疑似重复",
      finImportTitle: "导入银行对账单",
      finImportNote: "CSV（GBK 或 UTF-8）、Excel（.xlsx）或 CAMT.053；先预览，确认后才写入。同一流水重复导入不会重复记账。",
      finImportFile: "对账单文件",
      finImportProfile: "银行格式",
      finImportAuto: "按表头自动识别",
      finImportGeneric: "通用表头",
      finImportAccount: "本方账号（对账单未注明时填写）",
      finImportPreview: "预览",
      finImportConfirm: "确认导入",
      finImportChoose: "请先选择对账单文件。",
      finImportReading: "正在读取…",
      finImportSummary: "{file}（{format}{profile}，账户 {account}，{first} 至 {last}）：新流水 {new} 笔，已在账 {already} 笔，银行重复打印 {twice} 行",
      finImportBalanceOk: "期初余额与账上余额一致。",
      finImportBalanceUnknown: "账上没有此前的余额可比。",
      finImportNothing: "没有新流水：无需导入。",
      finImportDone: "已导入 {file}：新流水 {written} 笔，已在账 {already} 笔",
      finImportFailed: "未导入：",
      finImportWarning: "提示：",
      finImportProblem: "不能导入：",
      colWhere: "位置",
      colBalance: "余额",
      colWrittenOff: "核销金额",
      colReason: "原因",
      colPrintedAt: "重复行",
      colFirstAt: "原行",
      colFile: "文件",
      colSource: "记录于",
      colNote: "说明",
      finFeeWithMatch: "随匹配 {id}",
      finFeeWrittenOff: "核销",
      finRefundsTitle: "退回",
      finFeesTitle: "银行手续费",
      finPrintedTitle: "银行重复打印的行",
      finPrintedNote: "对账单中同一流水号打印了两次（常见于分页处）；只记一笔。",
      "rule.refund-pair": "原路退回",
      finCount: "{n} 笔",
      finCountOne: "1 笔",
      finSuggestionsTitle: "待确认的匹配建议",
      finSuggestionsNote: "系统按规则提出，由财务人员确认或驳回；每项决定都记入日志。",
      finSuggestionsEmpty: "没有待确认的建议。",
      "rule.reference": "流水号或附言对应",
      "rule.amount-date-name": "金额、日期、户名相符",
      "rule.split": "分笔到账",
      "rule.combined": "一笔合并到账",
      "rule.partial-fee": "扣除手续费后到账",
      "rule.refund": "退款",
      "rule.fee": "银行手续费",
      "rule.manual": "人工匹配",
      finRule: "规则",
      finSimilarity: "户名相似度",
      finFee: "手续费",
      finBankLines: "银行流水",
      finDonations: "捐赠记录",
      finBalanceLine: "流水 {lines} ＋ 手续费 {fee} ＝ 捐赠 {donations}",
      finBalanceNoFee: "流水 {lines} ＝ 捐赠 {donations}",
      finBalanceFeeOnly: "手续费 {fee}，无对应捐赠",
      colDate: "日期",
      colAmount: "金额",
      colCounterparty: "对方户名",
      colRemark: "摘要",
      colSerial: "流水号",
      colDonation: "捐赠编号",
      colCampaign: "活动",
      colDonor: "捐赠方",
      colAction: "操作",
      colGroup: "组",
      colPledgedOn: "认捐日期",
      colAgeDays: "账龄（天）",
      colBucket: "账龄段",
      colRule: "规则",
      colDecidedBy: "决定事件",
      colLines: "银行流水",
      colDonations: "捐赠",
      finConfirm: "确认匹配",
      finReject: "驳回",
      finRejectReason: "驳回原因",
      finRejectSubmit: "确认驳回",
      finWriteOff: "核销",
      finWriteOffReason: "核销原因",
      finWriteOffSubmit: "确认核销",
      finCancel: "取消",
      finWorking: "提交中…",
      finNotRecorded: "未记录：",
      finConfirmed: "已确认匹配 {id}（日志位置 {position}）",
      finRejected: "已驳回建议 {id}（日志位置 {position}）",
      finWrittenOff: "已核销流水 {id}（日志位置 {position}）",
      finLinesTitle: "未匹配的银行流水",
      finLinesNote: "没有捐赠记录对应的到账或支出；确属手续费、利息等可核销。",
      finDonationsTitle: "未见银行到账的捐赠",
      finDuplicatesTitle: "疑似重复流水",
      finDuplicatesNote: "日期、金额、对方户名和摘要相同而流水号不同。",
      finPledgesTitle: "未兑现认捐（账龄）",
      "bucket.0-30": "0–30 天",
      "bucket.31-90": "31–90 天",
      "bucket.90+": "90 天以上",
      finSettledTitle: "已匹配与已核销",
      finMatchedTitle: "已匹配",
      finWrittenOffTitle: "已核销",
      finNone: "无",
    },
    en: {
      title: "Ordos Federation of Trade Unions · Welfare Ledger",
      subtitle: "Four-season giving · live dashboard of money, goods and services",
      switchLang: "中文",
      role: "Role",
      signOut: "Sign out",
      loginTitle: "Enter your access token",
      loginHelp: "Tokens are issued by the administrator; this browser keeps it, nothing else does.",
      tokenLabel: "Access token",
      signIn: "Sign in",
      tokenInvalid: "That token is not valid; please enter it again.",
      networkError: "Cannot reach the server; please try again.",
      loadFailed: "Loading failed: ",
      liveIdle: "Not connected",
      liveConnecting: "Connecting…",
      liveOn: "Live",
      liveOff: "Connection lost, reconnecting…",
      kpiReceived: "Money received",
      kpiSpent: "Spent",
      kpiGoods: "Goods donated (value)",
      kpiPeople: "Workers reached (person-times)",
      countiesTitle: "Funds by county",
      moneyNote: "Amounts in yuan (CNY)",
      colRegion: "Region",
      colReceived: "Received",
      colAllocatedIn: "Allocated in",
      colAllocatedOut: "Allocated out",
      colSpent: "Spent",
      colBalance: "Balance",
      colPeople: "People reached",
      totalRow: "Total",
      cityLevel: "city level",
      chartTitle: "Money in and spent, by county",
      legendIn: "Received + allocated",
      legendSpent: "Spent",
      mapTitle: "Counties at a glance",
      mapNote: "Coloured by money in (received + allocated); a schematic, not to scale.",
      scaleLow: "less",
      scaleHigh: "more",
      campaignsTitle: "Campaign progress: raised and spent",
      raised: "Raised",
      spent: "Spent",
      balance: "Balance",
      goodsExtra: "plus goods worth {value}",
      usedPct: "{pct} used",
      noActivity: "nothing recorded yet",
      groupsTitle: "Beneficiaries by group",
      unitPersonTimes: "person-times",
      noData: "No data yet",
      trainingTitle: "Training and lecture participation",
      colFormat: "Format",
      colSessions: "Sessions",
      colParticipants: "Participants",
      formatOnline: "Online",
      formatOffline: "Offline",
      formatBoth: "Online and offline",
      servicesTitle: "Services (health, legal aid, visits)",
      colServiceKind: "Service",
      colCount: "Count",
      colPersonTimes: "Person-times",
      "kind.health-checkup": "Health checkups",
      "kind.legal-consultation": "Legal consultations",
      "kind.visit": "Visits",
      "kind.station-opened": "Service stations opened",
      "kind.assistance": "Other assistance",
      feedTitle: "Live feed",
      feedNote: "newest first",
      feedEmpty: "Waiting for new entries…",
      feedActor: "by",
      feedOccurred: "occurred",
      feedRecorded: "recorded",
      feedAudit: "Audit trail",
      "type.donation_pledged": "Pledge",
      "type.donation_received": "Donation received",
      "type.funds_allocated": "Funds allocated",
      "type.supplies_delivered": "Supplies delivered",
      "type.training_held": "Training held",
      "type.service_provided": "Service provided",
      "type.entry_voided": "Entry voided",
      "type.entry_corrected": "Entry corrected",
      "type.bank_line_imported": "Bank line imported",
      "type.match_confirmed": "Match confirmed",
      "type.match_rejected": "Suggestion rejected",
      "type.fee_written_off": "Fee written off",
      "type.bank_line_written_off": "Line written off",
      "type.statement_imported": "Statement imported",
      "type.refund_paired": "Refund paired",
      "type.decision_undone": "Decision undone",
      "type.period_closed": "Month closed",
      "type.period_reopened": "Month reopened",
      auditTitle: "Audit trail",
      auditHelp: "Enter an event id, an entry id (such as a donation id), a campaign code or a region code.",
      auditIdLabel: "Id to look up",
      auditPlaceholder: "e.g. D-2022-SC-0001",
      auditLookup: "Look up",
      auditLoading: "Looking up…",
      auditSubject: "Subject",
      auditKind: "Kind",
      auditCount: "{n} entries",
      auditCountOne: "1 entry",
      "auditKind.entry": "entry",
      "auditKind.campaign fund": "campaign fund",
      "auditKind.region": "region",
      colPosition: "Position",
      colType: "Type",
      colActor: "Actor",
      colRecordedAt: "Recorded at",
      colOccurredAt: "Occurred at",
      colSummary: "Summary",
      colChanges: "Changes",
      colReason: "Reason",
      entryTitle: "Record an entry",
      fEntryType: "Entry type",
      typeDonationMoney: "Money donation received",
      typeDelivery: "Supplies delivered",
      fCounty: "Region",
      fCampaign: "Campaign",
      fOccurred: "Occurred at (Beijing time)",
      fDonationId: "Donation id",
      fDonorKind: "Donor kind",
      donorEnterprise: "Enterprise",
      donorOrganisation: "Organisation",
      donorUnion: "Higher-level union allocation",
      donorIndividual: "Individual",
      fDonorOrg: "Donor organisation",
      fAmount: "Amount (yuan)",
      fBankRef: "Bank reference",
      fNote: "Note",
      fDeliveryId: "Delivery id",
      fGroup: "Beneficiary group",
      fSiteKind: "Site kind",
      fSiteName: "Site name",
      fHeadcount: "Headcount",
      fSpent: "Money spent (yuan, optional)",
      fItems: "Items",
      fItem: "Item",
      fUnit: "Unit",
      fQuantity: "Quantity",
      fValue: "Value (yuan)",
      addItem: "+ Add a line",
      removeItem: "Remove",
      fFundId: "Paid by donation id (optional)",
      fFundAmount: "Amount of that donation (yuan)",
      submit: "Submit",
      submitting: "Submitting…",
      resetForm: "Clear",
      recorded: "Recorded at log position {position}, event id {id}",
      duplicate: "Already recorded (same idempotency key); nothing new written: log position {position}",
      notWritten: "Nothing was written.",
      otherProblems: "Other problems:",
      footerPosition: "Log position",
      footerUpdated: "Updated",
      footerNote: "Figures come from the event log; every total can be recomputed from it.",
      "role.viewer": "Viewer",
      "role.clerk": "Clerk",
      "role.finance": "Finance",
      "role.auditor": "Auditor",
      "role.admin": "Administrator",
      tabsLabel: "Pages",
      tabOverview: "Campaign dashboard",
      tabAccess: "Access log",
      accessTitle: "Reads of personal data",
      accessNote: "Every read of personal data (names, phone numbers) is recorded here before it is answered; records are never deleted.",
      accessWhen: "When",
      accessReader: "Reader",
      accessRole: "Role",
      accessVia: "Route or command",
      accessSubjects: "Whose data",
      accessEmpty: "No reads recorded yet.",
      tabFinance: "Bank reconciliation",
      finTitle: "Bank reconciliation",
      finPosition: "reconciled up to log position",
      finRefresh: "Refresh",
      finExportXlsx: "Export Excel",
      finExportCsv: "Export CSV",
      finExporting: "Exporting…",
      finExported: "Downloaded {name}",
      finExportFailed: "Export failed: ",
      finReadOnly: "Auditors read only: they see and export the reconciliation but do not confirm, reject or write off.",
      finLoading: "Loading…",
      "finSum.matched": "Matched",
      "finSum.suggested": "To confirm",
      "finSum.unmatched-lines": "Unmatched bank lines",
      "finSum.unmatched-donations": "Donations not in the bank",
      "finSum.outstanding-pledges": "Outstanding pledges",
      "finSum.written-off": "Written off",
      "finSum.refunds": "Refunds",
      "finSum.fees": "Bank fees",
      "finSum.printed-twice": "Printed twice",
      "finSum.possible-duplicates": "Possible duplicates",
      finImportTitle: "Import a bank statement",
      finImportNote: "CSV (GBK or UTF-8), Excel (.xlsx) or CAMT.053; previewed first, written only on confirmation. A line imported again is never booked twice.",
      finImportFile: "Statement file",
      finImportProfile: "Bank format",
      finImportAuto: "Detect from the headers",
      finImportGeneric: "Generic headers",
      finImportAccount: "Our account (if the statement does not say)",
      finImportPreview: "Preview",
      finImportConfirm: "Import",
      finImportChoose: "Choose a statement file first.",
      finImportReading: "Reading…",
      finImportSummary: "{file} ({format}{profile}, account {account}, {first} to {last}): {new} new lines, {already} already in the ledger, {twice} rows printed twice",
      finImportBalanceOk: "The opening balance agrees with the ledger.",
      finImportBalanceUnknown: "The ledger has no earlier balance to compare.",
      finImportNothing: "No new lines: nothing to import.",
      finImportDone: "Imported {file}: {written} new lines, {already} already in the ledger",
      finImportFailed: "Not imported: ",
      finImportWarning: "Note: ",
      finImportProblem: "Cannot import: ",
      colWhere: "Where",
      colBalance: "Balance",
      colWrittenOff: "Written off",
      colReason: "Reason",
      colPrintedAt: "Printed again at",
      colFirstAt: "First at",
      colFile: "File",
      colSource: "Recorded with",
      colNote: "Note",
      finFeeWithMatch: "match {id}",
      finFeeWrittenOff: "write-off",
      finRefundsTitle: "Refunds",
      finFeesTitle: "Bank fees",
      finPrintedTitle: "Rows the bank printed twice",
      finPrintedNote: "The same serial printed twice on the statement (often at a page break); booked once.",
      "rule.refund-pair": "Sent back",
      finCount: "{n} items",
      finCountOne: "1 item",
      finSuggestionsTitle: "Suggested matches to decide",
      finSuggestionsNote: "The rules suggest; finance confirms or rejects, and every decision is an entry in the log.",
      finSuggestionsEmpty: "No suggestions to decide.",
      "rule.reference": "Serial or remark names it",
      "rule.amount-date-name": "Same amount, date and name",
      "rule.split": "Split over several transfers",
      "rule.combined": "One transfer for several",
      "rule.partial-fee": "Received less a bank fee",
      "rule.refund": "Refund",
      "rule.fee": "Bank charge",
      "rule.manual": "Manual",
      finRule: "Rule",
      finSimilarity: "Name similarity",
      finFee: "Fee",
      finBankLines: "Bank lines",
      finDonations: "Donations",
      finBalanceLine: "lines {lines} + fee {fee} = donations {donations}",
      finBalanceNoFee: "lines {lines} = donations {donations}",
      finBalanceFeeOnly: "fee {fee}, no donation",
      colDate: "Date",
      colAmount: "Amount",
      colCounterparty: "Counterparty",
      colRemark: "Remark",
      colSerial: "Serial",
      colDonation: "Donation",
      colCampaign: "Campaign",
      colDonor: "Donor",
      colAction: "Action",
      colGroup: "Group",
      colPledgedOn: "Pledged on",
      colAgeDays: "Age (days)",
      colBucket: "Ageing",
      colRule: "Rule",
      colDecidedBy: "Decided by event",
      colLines: "Bank lines",
      colDonations: "Donations",
      finConfirm: "Confirm",
      finReject: "Reject",
      finRejectReason: "Reason for rejecting",
      finRejectSubmit: "Reject",
      finWriteOff: "Write off",
      finWriteOffReason: "Reason for the write-off",
      finWriteOffSubmit: "Write off",
      finCancel: "Cancel",
      finWorking: "Sending…",
      finNotRecorded: "Not recorded: ",
      finConfirmed: "Confirmed match {id} (log position {position})",
      finRejected: "Rejected suggestion {id} (log position {position})",
      finWrittenOff: "Wrote off line {id} (log position {position})",
      finLinesTitle: "Unmatched bank lines",
      finLinesNote: "Money in or out that no donation explains; charges, interest and the like can be written off.",
      finDonationsTitle: "Donations with no bank line",
      finDuplicatesTitle: "Possible duplicate lines",
      finDuplicatesNote: "Same date, amount, counterparty and remark under another serial.",
      finPledgesTitle: "Outstanding pledges by age",
      "bucket.0-30": "0–30 days",
      "bucket.31-90": "31–90 days",
      "bucket.90+": "over 90 days",
      finSettledTitle: "Matched and written off",
      finMatchedTitle: "Matched",
      finWrittenOffTitle: "Written off",
      finNone: "None",
    },
  };

  // Schematic positions of the Ordos counties on a 3 × 3 grid, roughly as
  // they lie on the map (north up). Regions are data: a code missing here
  // is placed after these in catalog order.
  const MAP_LAYOUT = {
    "150625": [1, 1], // 杭锦旗 Hanggin, north-west
    "150621": [1, 2], // 达拉特旗 Dalad, north
    "150622": [1, 3], // 准格尔旗 Jungar, east
    "150624": [2, 1], // 鄂托克旗 Otog, west
    "150603": [2, 2], // 康巴什区 Kangbashi, centre
    "150602": [2, 3], // 东胜区 Dongsheng, centre-east
    "150623": [3, 1], // 鄂托克前旗 Otog Front, south-west
    "150626": [3, 2], // 乌审旗 Uxin, south
    "150627": [3, 3], // 伊金霍洛旗 Ejin Horo, south-east
  };

  const TRAINING_FORMATS = [["online", "formatOnline"], ["offline", "formatOffline"], ["both", "formatBoth"]];
  const SERVICE_KINDS = ["health-checkup", "legal-consultation", "visit", "station-opened", "assistance"];
  const RECORDING_ROLES = ["clerk", "admin"];
  const INSPECTING_ROLES = ["clerk", "finance", "auditor", "admin"];
  // The finance page: finance and auditors read it, finance decides.
  const FINANCE_ROLES = ["finance", "auditor", "admin"];
  // The access log of personal data is for auditors and admins.
  const ACCESS_ROLES = ["auditor", "admin"];
  const DECIDING_ROLES = ["finance", "admin"];
  const PLEDGE_BUCKETS = ["0-30", "31-90", "90+"];
  // The reconciliation is rebuilt from the whole log, so live changes
  // reload it at most this often.
  const FINANCE_REFRESH_MS = 1000;

  const state = {
    token: "",
    lang: "zh",
    role: "",
    name: "",
    catalog: null,
    regions: new Map(),
    labels: { campaigns: new Map(), groups: new Map(), items: new Map(), sites: new Map() },
    totals: null,
    position: 0,
    campaignFigures: new Map(),
    feed: [],
    seen: new Set(),
    source: null,
    reconnectTimer: 0,
    campaignTimer: 0,
    dirtyCampaigns: new Set(),
    checkCampaigns: false,
    loadedPosition: 0,
    idempotencyKey: "",
    audit: null,
    entryOutcome: null,
    violations: [],
    view: "overview",
    fin: newFinanceState(),
  };

  const $ = (id) => document.getElementById(id);

  function t(key, vars) {
    let text = TEXT[state.lang][key];
    if (text === undefined) text = TEXT.zh[key];
    if (text === undefined) return key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  // h builds an element. Strings among the children become text nodes, so
  // data is never parsed as HTML.
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = String(value);
        else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setText(id, text) {
    const node = $(id);
    if (node && node.textContent !== text) node.textContent = text;
  }

  // ---------------------------------------------------------------- money

  // parseFen reads a yuan string into BigInt fen, or null.
  function parseFen(value) {
    if (value === undefined || value === null || value === "") return 0n;
    const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(value).trim());
    if (!match) return null;
    const fen = BigInt(match[2]) * 100n + BigInt((match[3] || "").padEnd(2, "0"));
    return match[1] ? -fen : fen;
  }

  function groupDigits(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function formatFen(fen) {
    const negative = fen < 0n;
    const absolute = negative ? -fen : fen;
    const cents = (absolute % 100n).toString().padStart(2, "0");
    return (negative ? "-" : "") + "¥" + groupDigits((absolute / 100n).toString()) + "." + cents;
  }

  function formatYuan(value) {
    const fen = parseFen(value);
    return fen === null ? String(value) : formatFen(fen);
  }

  function fenOf(figures, field) {
    return (figures && parseFen(figures[field])) || 0n;
  }

  function formatCount(value) {
    const number = Number(value || 0);
    return Number.isFinite(number) ? groupDigits(String(Math.trunc(number))) : String(value);
  }

  function ratio(part, whole) {
    if (whole <= 0n || part <= 0n) return 0;
    return Math.min(1, Number(part) / Number(whole));
  }

  // ---------------------------------------------------------------- times

  // Times are shown in Beijing time, the federation's time, whatever the
  // browser's zone.
  function formatTime(value) {
    const instant = new Date(value);
    if (Number.isNaN(instant.getTime())) return String(value || "");
    const beijing = new Date(instant.getTime() + 8 * 3600 * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return beijing.getUTCFullYear() + "-" + pad(beijing.getUTCMonth() + 1) + "-" + pad(beijing.getUTCDate()) +
      " " + pad(beijing.getUTCHours()) + ":" + pad(beijing.getUTCMinutes());
  }

  function beijingNowLocalInput() {
    const beijing = new Date(Date.now() + 8 * 3600 * 1000);
    return beijing.toISOString().slice(0, 16);
  }

  function clockTime() {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
  }

  // ---------------------------------------------------------------- labels

  function regionLabel(code) {
    const region = state.regions.get(code);
    if (!region) return { primary: code || "—", secondary: "" };
    return state.lang === "zh" ? { primary: region.zh, secondary: region.pinyin } : { primary: region.pinyin, secondary: region.zh };
  }

  function regionText(code) {
    const label = regionLabel(code);
    return label.secondary ? label.primary + " (" + label.secondary + ")" : label.primary;
  }

  function labelText(map, code) {
    const label = map.get(code);
    if (!label) return code || "—";
    return (state.lang === "zh" ? label.zh : label.en) || label.zh || code;
  }

  function typeText(type) {
    const key = "type." + type;
    const text = t(key);
    return text === key ? type : text;
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message, violations) {
      super(message);
      this.status = status;
      this.code = code;
      this.violations = violations || [];
    }
  }

  async function api(path, options) {
    options = options || {};
    const headers = { Accept: "application/json", Authorization: "Bearer " + state.token };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method: options.method || "GET", headers, body: options.body, cache: "no-store" });
    } catch (err) {
      throw new ApiError(0, "network", t("networkError"), []);
    }
    const text = await response.text();
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        body = null;
      }
    }
    if (!response.ok) {
      const failure = body && body.error ? body.error : {};
      throw new ApiError(response.status, failure.code || "http_" + response.status,
        failure.message || response.status + " " + response.statusText, failure.violations);
    }
    return { status: response.status, body };
  }

  // ---------------------------------------------------------------- language

  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll("[data-i18n-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    }
    const toggle = $("lang-toggle");
    toggle.textContent = t("switchLang");
    toggle.setAttribute("lang", state.lang === "zh" ? "en" : "zh-CN");
    renderRole();
    renderLiveStatus();
    if (state.catalog) {
      fillSelects();
      buildCountyTable();
      buildCountyChart();
      buildMap();
      renderTotals();
      renderCampaigns();
      renderFeed();
      renderAudit();
      readItemLines();
      renderItemLines();
      renderEntryOutcome();
    }
    renderFinance();
  }

  function setLanguage(lang) {
    state.lang = lang === "en" ? "en" : "zh";
    try {
      localStorage.setItem(LANG_KEY, state.lang);
    } catch (err) {
      // private mode: the choice lasts for this page only
    }
    applyLanguage();
    if (state.view === "access") loadAccessLog();
  }

  // ---------------------------------------------------------------- session

  function readToken() {
    const params = new URLSearchParams(window.location.search);
    const fromURL = params.get("token");
    if (fromURL !== null) {
      if (fromURL.trim() !== "") saveToken(fromURL.trim());
      params.delete("token");
      const query = params.toString();
      history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
    }
    try {
      return localStorage.getItem(TOKEN_KEY) || "";
    } catch (err) {
      return state.token;
    }
  }

  function saveToken(token) {
    state.token = token;
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (err) {
      // kept in memory only
    }
  }

  function forgetToken() {
    state.token = "";
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch (err) {
      // nothing stored
    }
  }

  function showLogin(message) {
    stopLive();
    resetFinance();
    $("dashboard").hidden = true;
    $("finance-page").hidden = true;
    $("view-tabs").hidden = true;
    $("login").hidden = false;
    $("whoami").hidden = true;
    $("sign-out").hidden = true;
    const error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("token-input").value = "";
    $("token-input").focus();
  }

  function renderRole() {
    if (!state.role) return;
    const key = "role." + state.role;
    const label = t(key) === key ? state.role : t(key);
    $("role").textContent = label + (state.name ? " · " + state.name : "");
  }

  async function start() {
    state.token = readToken();
    if (!state.token) {
      showLogin("");
      return;
    }
    let who;
    try {
      who = (await api("/api/v1/whoami")).body;
    } catch (err) {
      if (err.status === 401) {
        forgetToken();
        showLogin(t("tokenInvalid"));
      } else {
        showLogin(err.message);
      }
      return;
    }
    // A new sign-in starts from nothing: another token may see less.
    state.role = who.role || "";
    state.name = who.name || "";
    state.feed = [];
    state.seen.clear();
    state.totals = null;
    state.position = 0;
    state.loadedPosition = 0;
    state.audit = null;
    state.campaignFigures.clear();
    state.dirtyCampaigns.clear();
    renderFeed();
    renderAudit();
    resetFinance();
    $("login").hidden = true;
    $("view-tabs").hidden = !FINANCE_ROLES.includes(state.role);
    $("tab-access").hidden = !ACCESS_ROLES.includes(state.role);
    showView(viewOfHash(), true);
    $("whoami").hidden = false;
    $("sign-out").hidden = false;
    renderRole();
    // A public screen's viewer token sees the figures and the feed only: the
    // API would refuse it audit trails and recording anyway.
    const canRecord = RECORDING_ROLES.includes(state.role);
    $("entry-card").hidden = !canRecord;
    $("feed-card").classList.toggle("wide", !canRecord);
    $("audit-card").hidden = !INSPECTING_ROLES.includes(state.role);

    try {
      const catalog = (await api("/api/v1/catalog")).body;
      loadCatalog(catalog);
      if (state.view === "finance") renderFinance();
      const totals = (await api("/api/v1/totals")).body;
      applyTotals(totals);
      $("load-error").hidden = true;
    } catch (err) {
      const box = $("load-error");
      box.hidden = false;
      box.textContent = t("loadFailed") + err.message;
      if (!state.catalog) return;
    }
    state.loadedPosition = state.position;
    const first = state.position > REPLAY_ENTRIES ? state.position - REPLAY_ENTRIES : Math.min(state.position, 1);
    startLive(first);
    refreshCampaigns((state.catalog.campaigns || []).map((c) => c.code));
  }

  // ---------------------------------------------------------------- catalog

  function loadCatalog(catalog) {
    state.catalog = catalog;
    state.regions = new Map((catalog.regions || []).map((region) => [region.code, region]));
    const index = (list) => new Map((list || []).map((label) => [label.code, label]));
    state.labels.campaigns = index(catalog.campaigns);
    state.labels.groups = index(catalog.beneficiary_groups);
    state.labels.items = index(catalog.item_kinds);
    state.labels.sites = index(catalog.site_kinds);
    fillSelects();
    buildCountyTable();
    buildCountyChart();
    buildMap();
    resetEntryForm();
  }

  function counties() {
    return (state.catalog.regions || []).filter((region) => region.level === "county");
  }

  function fillSelect(select, options) {
    const previous = select.value;
    select.replaceChildren(...options.map(([value, text]) => h("option", { value }, text)));
    if (options.some(([value]) => value === previous)) select.value = previous;
  }

  function fillSelects() {
    const regions = (state.catalog.regions || []).map((region) => [region.code, regionText(region.code) + " · " + region.code]);
    fillSelect($("f-county"), regions);
    fillSelect($("f-campaign"), (state.catalog.campaigns || []).map((c) => [c.code, labelText(state.labels.campaigns, c.code)]));
    fillSelect($("v-group"), (state.catalog.beneficiary_groups || []).map((g) => [g.code, labelText(state.labels.groups, g.code)]));
    fillSelect($("v-site-kind"), (state.catalog.site_kinds || []).map((s) => [s.code, labelText(state.labels.sites, s.code)]));
    for (const select of document.querySelectorAll("select.item-kind")) fillItemSelect(select);
  }

  function fillItemSelect(select) {
    fillSelect(select, (state.catalog.item_kinds || []).map((item) => [item.code, labelText(state.labels.items, item.code)]));
  }

  // ---------------------------------------------------------------- county table and chart

  function buildCountyTable() {
    const rows = (state.catalog.regions || []).map((region) => {
      const label = regionLabel(region.code);
      const name = h("th", { scope: "row" },
        h("span", { class: "name" }, label.primary),
        label.secondary ? h("span", { class: "sub" }, label.secondary) : null,
        region.level === "city" ? h("span", { class: "tag" }, t("cityLevel")) : null);
      const cell = (prefix) => h("td", { class: "num", id: prefix + "-" + region.code }, "—");
      return h("tr", { id: "row-" + region.code, class: region.level === "city" ? "city" : null },
        name, cell("total"), cell("allocin"), cell("allocout"), cell("spent"), cell("balance"), cell("people"));
    });
    $("county-rows").replaceChildren(...rows);
    const foot = (prefix) => h("td", { class: "num", id: prefix + "-all" }, "—");
    $("county-foot").replaceChildren(h("tr", null, h("th", { scope: "row" }, t("totalRow")),
      foot("total"), foot("allocin"), foot("allocout"), foot("spent"), foot("balance"), foot("people")));
  }

  function buildCountyChart() {
    const rows = counties().map((region) => {
      const label = regionLabel(region.code);
      return h("div", { class: "bar-row", id: "bar-" + region.code },
        h("span", { class: "bar-label" }, h("span", { class: "name" }, label.primary),
          label.secondary ? h("span", { class: "sub" }, label.secondary) : null),
        h("span", { class: "bar-track" },
          h("span", { class: "bar in", id: "bar-in-" + region.code }),
          h("span", { class: "bar out", id: "bar-out-" + region.code })),
        h("span", { class: "bar-value" },
          h("span", { id: "bar-in-value-" + region.code }, "—"),
          h("span", { class: "sub", id: "bar-out-value-" + region.code }, "—")));
    });
    $("county-chart").replaceChildren(...rows);
  }

  function buildMap() {
    const map = $("county-map");
    const tiles = [];
    let spare = 0;
    for (const region of counties()) {
      const label = regionLabel(region.code);
      const tile = h("div", { class: "tile", id: "tile-" + region.code },
        h("span", { class: "tile-name" }, label.primary),
        label.secondary ? h("span", { class: "tile-sub" }, label.secondary) : null,
        h("span", { class: "tile-value", id: "tile-value-" + region.code }, "—"));
      const place = MAP_LAYOUT[region.code];
      if (place) {
        tile.style.gridRow = String(place[0]);
        tile.style.gridColumn = String(place[1]);
      } else {
        tile.style.gridRow = String(4 + Math.floor(spare / 3));
        tile.style.gridColumn = String(1 + (spare % 3));
        spare++;
      }
      tiles.push(tile);
    }
    map.replaceChildren(...tiles);
  }

  function applyTotals(answer) {
    if (!answer || typeof answer.position !== "number") return;
    if (state.totals && answer.position < state.totals.position) return;
    state.totals = answer;
    state.position = Math.max(state.position, answer.position);
    renderTotals();
  }

  function figuresByRegion() {
    const byRegion = new Map();
    for (const row of (state.totals && state.totals.rows) || []) {
      if (!row.period) byRegion.set(row.county, row);
    }
    return byRegion;
  }

  function allFigures() {
    const all = (state.totals && state.totals.all) || [];
    return all.find((row) => !row.period) || all[0] || {};
  }

  function balanceOf(figures) {
    return fenOf(figures, "received") + fenOf(figures, "allocated_in") - fenOf(figures, "allocated_out") - fenOf(figures, "spent");
  }

  function renderTotals() {
    if (!state.catalog || !state.totals) return;
    const byRegion = figuresByRegion();
    const fill = (suffix, figures) => {
      setText("total-" + suffix, formatFen(fenOf(figures, "received")));
      setText("allocin-" + suffix, formatFen(fenOf(figures, "allocated_in")));
      setText("allocout-" + suffix, formatFen(fenOf(figures, "allocated_out")));
      setText("spent-" + suffix, formatFen(fenOf(figures, "spent")));
      const balance = balanceOf(figures);
      setText("balance-" + suffix, formatFen(balance));
      const balanceCell = $("balance-" + suffix);
      if (balanceCell) balanceCell.classList.toggle("negative", balance < 0n);
      setText("people-" + suffix, formatCount(figures.people_reached));
    };
    for (const region of state.catalog.regions || []) fill(region.code, byRegion.get(region.code) || {});
    const all = allFigures();
    fill("all", all);

    // Chart: money in (received + allocated in) against spent.
    let max = 0n;
    const values = new Map();
    for (const region of counties()) {
      const figures = byRegion.get(region.code) || {};
      const moneyIn = fenOf(figures, "received") + fenOf(figures, "allocated_in");
      const spent = fenOf(figures, "spent");
      values.set(region.code, [moneyIn, spent]);
      if (moneyIn > max) max = moneyIn;
      if (spent > max) max = spent;
    }
    for (const [code, [moneyIn, spent]] of values) {
      const inBar = $("bar-in-" + code);
      const outBar = $("bar-out-" + code);
      if (!inBar) continue;
      inBar.style.width = (ratio(moneyIn, max) * 100).toFixed(2) + "%";
      outBar.style.width = (ratio(spent, max) * 100).toFixed(2) + "%";
      setText("bar-in-value-" + code, formatFen(moneyIn));
      setText("bar-out-value-" + code, formatFen(spent));
      const tile = $("tile-" + code);
      if (tile) {
        const share = ratio(moneyIn, max);
        // Light teal for nothing, deep teal for the most.
        const lightness = 95 - share * 62;
        tile.style.backgroundColor = "hsl(174, " + (moneyIn > 0n ? 60 : 10) + "%, " + lightness.toFixed(1) + "%)";
        tile.classList.toggle("dark", lightness < 58);
        setText("tile-value-" + code, formatFen(moneyIn));
      }
    }

    setText("kpi-received", formatFen(fenOf(all, "received")));
    setText("kpi-spent", formatFen(fenOf(all, "spent")));
    setText("kpi-goods", formatFen(fenOf(all, "goods_received_value")));
    let people = 0;
    for (const value of Object.values(all.people_by_group || {})) people += Number(value) || 0;
    setText("kpi-people", formatCount(people));

    renderGroups(all);
    renderTraining(all);
    setText("position", String(state.totals.position));
    setText("updated", clockTime());
  }

  function renderGroups(all) {
    const entries = Object.entries(all.people_by_group || {}).filter(([, value]) => Number(value) > 0);
    entries.sort((a, b) => Number(b[1]) - Number(a[1]));
    const box = $("group-bars");
    if (entries.length === 0) {
      box.replaceChildren(h("p", { class: "muted" }, t("noData")));
      return;
    }
    const max = Number(entries[0][1]) || 1;
    box.replaceChildren(...entries.map(([code, value]) => {
      const bar = h("span", { class: "bar group" });
      bar.style.width = ((Number(value) / max) * 100).toFixed(2) + "%";
      return h("div", { class: "bar-row", id: "group-" + code },
        h("span", { class: "bar-label" }, h("span", { class: "name" }, labelText(state.labels.groups, code))),
        h("span", { class: "bar-track" }, bar),
        h("span", { class: "bar-value" }, formatCount(value)));
    }));
  }

  function renderTraining(all) {
    const formats = all.sessions_by_format || {};
    const rows = TRAINING_FORMATS.map(([code, key]) => {
      const figures = formats[code] || {};
      return h("tr", { id: "training-" + code }, h("th", { scope: "row" }, t(key)),
        h("td", { class: "num" }, formatCount(figures.count)), h("td", { class: "num" }, formatCount(figures.people)));
    });
    for (const [code, figures] of Object.entries(formats)) {
      if (TRAINING_FORMATS.some(([known]) => known === code)) continue;
      rows.push(h("tr", null, h("th", { scope: "row" }, code),
        h("td", { class: "num" }, formatCount(figures.count)), h("td", { class: "num" }, formatCount(figures.people))));
    }
    rows.push(h("tr", { class: "sum" }, h("th", { scope: "row" }, t("totalRow")),
      h("td", { class: "num" }, formatCount(all.sessions)), h("td", { class: "num" }, formatCount(all.participants))));
    $("training-rows").replaceChildren(...rows);

    const kinds = all.services_by_kind || {};
    const codes = SERVICE_KINDS.concat(Object.keys(kinds).filter((code) => !SERVICE_KINDS.includes(code)));
    $("service-rows").replaceChildren(...codes.map((code) => {
      const figures = kinds[code] || {};
      const key = "kind." + code;
      return h("tr", { id: "service-" + code }, h("th", { scope: "row" }, t(key) === key ? code : t(key)),
        h("td", { class: "num" }, formatCount(figures.count)), h("td", { class: "num" }, formatCount(figures.people)));
    }));
  }

  // ---------------------------------------------------------------- campaigns

  // campaignsAddUp says whether the campaigns' figures add up to the
  // region totals, exactly, in fen.
  function campaignsAddUp() {
    const all = allFigures();
    let received = 0n;
    let spent = 0n;
    for (const figures of state.campaignFigures.values()) {
      received += fenOf(figures, "received");
      spent += fenOf(figures, "spent");
    }
    return received === fenOf(all, "received") && spent === fenOf(all, "spent");
  }

  async function refreshCampaigns(codes) {
    state.campaignTimer = 0;
    if (!state.catalog) return;
    if (!codes) {
      codes = (state.catalog.campaigns || []).map((c) => c.code);
      if (state.dirtyCampaigns.size > 0) {
        codes = codes.filter((code) => state.dirtyCampaigns.has(code));
      } else if (state.checkCampaigns && campaignsAddUp()) {
        codes = [];
      }
    }
    state.dirtyCampaigns.clear();
    state.checkCampaigns = false;
    if (codes.length === 0) return;
    const answers = await Promise.all(codes.map((code) =>
      api("/api/v1/totals?campaign=" + encodeURIComponent(code)).then((r) => r.body, () => null)));
    answers.forEach((answer, i) => {
      if (!answer) return;
      const all = (answer.all || []).find((row) => !row.period) || {};
      state.campaignFigures.set(codes[i], all);
    });
    renderCampaigns();
  }

  function scheduleCampaignRefresh() {
    if (state.campaignTimer) return;
    state.campaignTimer = window.setTimeout(() => refreshCampaigns(), CAMPAIGN_REFRESH_MS);
  }

  function renderCampaigns() {
    if (!state.catalog) return;
    const list = (state.catalog.campaigns || []).map((campaign) => {
      const figures = state.campaignFigures.get(campaign.code) || {};
      const raised = fenOf(figures, "received");
      const spent = fenOf(figures, "spent");
      const goods = fenOf(figures, "goods_received_value");
      const active = raised > 0n || spent > 0n || goods > 0n || Number(figures.sessions || 0) > 0 || Number(figures.services || 0) > 0;
      const bar = h("span", { class: "bar out" });
      const share = ratio(spent, raised);
      bar.style.width = (share * 100).toFixed(2) + "%";
      const percent = raised > 0n ? (Number((spent * 1000n) / raised) / 10).toFixed(1) + "%" : "—";
      return h("li", { class: active ? "campaign" : "campaign idle", id: "campaign-" + campaign.code },
        h("div", { class: "campaign-name" }, labelText(state.labels.campaigns, campaign.code)),
        h("div", { class: "campaign-track" }, bar),
        h("div", { class: "campaign-figures" },
          h("span", null, t("raised") + " ", h("strong", { id: "campaign-raised-" + campaign.code }, formatFen(raised))),
          h("span", null, t("spent") + " ", h("strong", { id: "campaign-spent-" + campaign.code }, formatFen(spent))),
          h("span", null, t("balance") + " ", h("strong", null, formatFen(raised + fenOf(figures, "allocated_in") - fenOf(figures, "allocated_out") - spent))),
          raised > 0n ? h("span", { class: "muted" }, t("usedPct", { pct: percent })) : null,
          goods > 0n ? h("span", { class: "muted" }, t("goodsExtra", { value: formatFen(goods) })) : null,
          active ? null : h("span", { class: "muted" }, t("noActivity"))));
    });
    $("campaign-list").replaceChildren(...list);
  }

  // ---------------------------------------------------------------- live stream

  function renderLiveStatus(next) {
    const box = $("live-status");
    if (next) box.dataset.state = next;
    const key = { idle: "liveIdle", connecting: "liveConnecting", live: "liveOn", offline: "liveOff" }[box.dataset.state] || "liveIdle";
    $("live-status-text").textContent = t(key);
  }

  function startLive(afterPosition) {
    stopLive();
    let url = "/api/v1/live?access_token=" + encodeURIComponent(state.token);
    if (afterPosition > 0) url += "&last_event_id=" + encodeURIComponent(String(afterPosition));
    renderLiveStatus("connecting");
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener("open", () => renderLiveStatus("live"));
    source.addEventListener("totals", (event) => {
      let answer;
      try {
        answer = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      renderLiveStatus("live");
      const changed = !state.totals || answer.position !== state.totals.position;
      applyTotals(answer);
      if (changed) scheduleFinanceRefresh();
      if (changed) {
        // Entries name their campaigns; a change without one (a missed
        // entry) is caught by checking that the campaigns add up.
        state.checkCampaigns = true;
        scheduleCampaignRefresh();
      }
    });
    source.addEventListener("entry", (event) => {
      let entry;
      try {
        entry = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      addFeedEntry(entry);
      if (entry && entry.position > state.loadedPosition && entry.campaign) {
        state.dirtyCampaigns.add(entry.campaign);
        scheduleCampaignRefresh();
      }
    });
    source.addEventListener("error", () => {
      if (state.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused or the stream ended: reconnect from the last
        // position seen, after checking the token still works.
        renderLiveStatus("offline");
        source.close();
        state.source = null;
        state.reconnectTimer = window.setTimeout(reconnect, RECONNECT_MS);
      } else {
        renderLiveStatus("offline");
      }
    });
  }

  async function reconnect() {
    state.reconnectTimer = 0;
    try {
      await api("/api/v1/whoami");
    } catch (err) {
      if (err.status === 401) {
        forgetToken();
        showLogin(t("tokenInvalid"));
        return;
      }
      state.reconnectTimer = window.setTimeout(reconnect, RECONNECT_MS);
      return;
    }
    const lastSeen = state.feed.length ? state.feed[0].position : state.position;
    startLive(lastSeen);
  }

  function stopLive() {
    if (state.reconnectTimer) window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    if (state.source) state.source.close();
    state.source = null;
    renderLiveStatus("idle");
  }

  // ---------------------------------------------------------------- feed

  function addFeedEntry(entry) {
    if (!entry || typeof entry.position !== "number" || state.seen.has(entry.position)) return;
    state.seen.add(entry.position);
    state.feed.push(entry);
    state.feed.sort((a, b) => b.position - a.position);
    while (state.feed.length > FEED_MAX) state.seen.delete(state.feed.pop().position);
    const list = $("feed");
    const item = feedItem(entry);
    const index = state.feed.indexOf(entry);
    if (index < 0) return;
    const next = list.children[index] || null;
    list.insertBefore(item, next);
    while (list.children.length > state.feed.length) list.lastElementChild.remove();
    if (entry.position > state.loadedPosition) {
      item.classList.add("fresh");
      window.setTimeout(() => item.classList.remove("fresh"), 2500);
    }
    $("feed-empty").hidden = true;
  }

  function feedItem(entry) {
    const canInspect = INSPECTING_ROLES.includes(state.role);
    return h("li", { class: "feed-item type-" + String(entry.type).replace(/[^a-z_]/g, ""), "data-position": entry.position },
      h("div", { class: "feed-head" },
        h("span", { class: "badge" }, typeText(entry.type)),
        h("span", { class: "feed-where" }, regionText(entry.county), " · ", labelText(state.labels.campaigns, entry.campaign)),
        h("span", { class: "feed-pos" }, "#" + entry.position)),
      h("p", { class: "feed-summary" }, entry.summary || ""),
      h("div", { class: "feed-meta" },
        h("span", null, t("feedActor") + " ", h("strong", null, entry.actor || "—")),
        h("span", null, t("feedOccurred") + " " + formatTime(entry.occurred_at)),
        h("span", null, t("feedRecorded") + " " + formatTime(entry.recorded_at)),
        canInspect ? h("button", { class: "link", type: "button", onclick: () => lookupAudit(entry.event_id, true) }, t("feedAudit")) : null));
  }

  function renderFeed() {
    $("feed").replaceChildren(...state.feed.map(feedItem));
    $("feed-empty").hidden = state.feed.length > 0;
  }

  // ---------------------------------------------------------------- audit

  async function lookupAudit(id, scroll) {
    id = String(id || "").trim();
    if (!id) return;
    $("audit-id").value = id;
    state.audit = { loading: true };
    renderAudit();
    if (scroll) $("audit-card").scrollIntoView({ behavior: "smooth", block: "start" });
    try {
      state.audit = { trail: (await api("/api/v1/audit/" + encodeURIComponent(id))).body };
    } catch (err) {
      state.audit = { error: err };
    }
    renderAudit();
  }

  function renderAudit() {
    const box = $("audit-result");
    const audit = state.audit;
    if (!audit) {
      box.replaceChildren();
      return;
    }
    if (audit.loading) {
      box.replaceChildren(h("p", { class: "muted" }, t("auditLoading")));
      return;
    }
    if (audit.error) {
      box.replaceChildren(h("p", { class: "error-text", id: "audit-error" }, audit.error.message));
      return;
    }
    const trail = audit.trail || {};
    const kindKey = "auditKind." + trail.kind;
    const header = h("p", { class: "audit-head" },
      t("auditSubject") + ": ", h("strong", null, trail.subject || ""), " · ",
      t("auditKind") + ": " + (t(kindKey) === kindKey ? trail.kind || "" : t(kindKey)), " · ",
      (trail.entries || []).length === 1 ? t("auditCountOne") : t("auditCount", { n: (trail.entries || []).length }));
    const rows = (trail.entries || []).map((entry) => h("tr", { "data-position": entry.position },
      h("td", { class: "num" }, String(entry.position)),
      h("td", { class: "nowrap" }, typeText(entry.type)),
      h("td", { class: "nowrap" }, entry.actor || ""),
      h("td", { class: "nowrap" }, formatTime(entry.recorded_at)),
      h("td", { class: "nowrap" }, formatTime(entry.occurred_at)),
      h("td", { class: "summary" }, entry.summary || ""),
      h("td", null, (entry.changes || []).length
        ? h("ul", { class: "changes" }, entry.changes.map((change) =>
          h("li", null, h("code", null, change.field || ""), ": ", change.from || "", " → ", change.to || "")))
        : "—"),
      h("td", null, entry.reason || "—")));
    const table = h("table", { class: "data compact", id: "audit-table" },
      h("thead", null, h("tr", null, ["colPosition", "colType", "colActor", "colRecordedAt", "colOccurredAt", "colSummary", "colChanges", "colReason"]
        .map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", null, rows));
    box.replaceChildren(header, h("div", { class: "table-wrap" }, table));
  }

  // ---------------------------------------------------------------- data entry

  function newIdempotencyKey() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let itemLines = [];

  function newItemLine() {
    return { item: "", unit: "", quantity: "", value: "" };
  }

  function renderItemLines() {
    const box = $("v-items");
    if (!state.catalog) return;
    box.replaceChildren(...itemLines.map((line, i) => {
      const select = h("select", { class: "item-kind", id: "v-item-" + i, "data-field": "data.items[" + i + "].item" });
      fillItemSelect(select);
      if (line.item) select.value = line.item;
      select.addEventListener("change", () => {
        const kind = state.labels.items.get(select.value);
        const unit = $("v-unit-" + i);
        if (kind && unit && !unit.dataset.touched) unit.value = kind.unit || "";
      });
      const unit = h("input", { type: "text", id: "v-unit-" + i, class: "unit", "data-field": "data.items[" + i + "].unit" });
      unit.value = line.unit || (state.labels.items.get(select.value) || {}).unit || "";
      unit.addEventListener("input", () => { unit.dataset.touched = "1"; });
      const quantity = h("input", { type: "text", inputmode: "numeric", id: "v-quantity-" + i, "data-field": "data.items[" + i + "].quantity" });
      quantity.value = line.quantity;
      const value = h("input", { type: "text", inputmode: "decimal", id: "v-value-" + i, "data-field": "data.items[" + i + "].value" });
      value.value = line.value;
      const remove = h("button", { type: "button", class: "button ghost small", onclick: () => {
        readItemLines();
        itemLines.splice(i, 1);
        if (itemLines.length === 0) itemLines.push(newItemLine());
        renderItemLines();
      } }, t("removeItem"));
      return h("div", { class: "item-line", "data-field": "data.items[" + i + "]" },
        h("div", { class: "field" }, h("label", { for: "v-item-" + i }, t("fItem")), select),
        h("div", { class: "field" }, h("label", { for: "v-unit-" + i }, t("fUnit")), unit),
        h("div", { class: "field" }, h("label", { for: "v-quantity-" + i }, t("fQuantity")), quantity),
        h("div", { class: "field" }, h("label", { for: "v-value-" + i }, t("fValue")), value),
        h("div", { class: "field remove" }, remove));
    }));
    showViolations(state.violations);
  }

  function readItemLines() {
    const box = $("v-items");
    if (!box.children.length) return;
    itemLines = itemLines.map((line, i) => {
      const item = $("v-item-" + i);
      if (!item) return line;
      return { item: item.value, unit: $("v-unit-" + i).value, quantity: $("v-quantity-" + i).value, value: $("v-value-" + i).value };
    });
  }

  function resetEntryForm() {
    const form = $("entry-form");
    for (const node of form.querySelectorAll("input, textarea")) node.value = "";
    $("f-occurred").value = beijingNowLocalInput();
    const city = (state.catalog.regions || []).find((region) => region.level === "city");
    if (city) $("f-county").value = city.code;
    itemLines = [newItemLine()];
    $("v-items").replaceChildren();
    renderItemLines();
    state.idempotencyKey = newIdempotencyKey();
    state.entryOutcome = null;
    state.violations = [];
    clearViolations();
    renderEntryOutcome();
  }

  function text(id) {
    return $(id).value.trim();
  }

  // integer sends a whole number as a JSON number, and anything else as
  // typed, so that the API, not this page, says what is wrong with it.
  function integer(value) {
    value = String(value).trim();
    if (value === "") return undefined;
    if (/^\d{1,15}$/.test(value)) return Number(value);
    return value;
  }

  function compact(object) {
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (value === undefined || value === "") delete object[key];
    }
    return object;
  }

  function occurredAt() {
    const value = text("f-occurred");
    if (!value) return undefined;
    // datetime-local has no zone: the form asks for Beijing time.
    return (value.length === 16 ? value + ":00" : value) + "+08:00";
  }

  function buildEvent() {
    const kind = $("entry-type").value;
    const envelope = {
      county: $("f-county").value,
      occurred_at: occurredAt(),
      idempotency_key: state.idempotencyKey,
    };
    if (kind === "donation") {
      return compact(Object.assign(envelope, {
        type: "donation_received",
        data: compact({
          donation_id: text("d-id"),
          campaign: $("f-campaign").value,
          donor_kind: $("d-kind").value,
          donor_organisation: text("d-org"),
          form: "money",
          amount: text("d-amount"),
          bank_reference: text("d-bank"),
          note: text("d-note"),
        }),
      }));
    }
    readItemLines();
    const items = itemLines.map((line) => compact({
      item: line.item,
      unit: line.unit.trim(),
      quantity: integer(line.quantity),
      value: line.value.trim(),
    }));
    const fundId = text("v-fund-id");
    const fundAmount = text("v-fund-amount");
    return compact(Object.assign(envelope, {
      type: "supplies_delivered",
      data: compact({
        delivery_id: text("v-id"),
        campaign: $("f-campaign").value,
        site: compact({ kind: $("v-site-kind").value, name: text("v-site-name") }),
        beneficiary_group: $("v-group").value,
        headcount: integer($("v-headcount").value),
        items,
        spent: text("v-spent"),
        funded_by: fundId || fundAmount ? [compact({ donation_id: fundId, amount: fundAmount })] : undefined,
        note: text("v-note"),
      }),
    }));
  }

  function clearViolations() {
    for (const node of document.querySelectorAll("#entry-form .field-error")) node.remove();
    for (const node of document.querySelectorAll("#entry-form [aria-invalid]")) node.removeAttribute("aria-invalid");
    for (const node of document.querySelectorAll("#entry-form .invalid")) node.classList.remove("invalid");
    const box = $("entry-errors");
    box.hidden = true;
    box.replaceChildren();
  }

  // fieldFor finds the control a violation is about: the exact path, or the
  // nearest enclosing path that has one ("data.site" for "data.site.x").
  function fieldFor(path) {
    const active = $("entry-type").value === "donation" ? $("donation-fields") : $("delivery-fields");
    const candidates = [];
    let current = path;
    while (current) {
      candidates.push(current);
      const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
      if (cut <= 0) break;
      current = current.slice(0, cut);
    }
    for (const candidate of candidates) {
      for (const node of $("entry-form").querySelectorAll("[data-field]")) {
        if (node.dataset.field !== candidate) continue;
        if (node.closest("fieldset") && node.closest("fieldset") !== active) continue;
        return node;
      }
    }
    return null;
  }

  function showViolations(violations) {
    clearViolations();
    const unplaced = [];
    for (const violation of violations || []) {
      const field = String(violation.field || "");
      const control = fieldFor(field);
      if (!control) {
        unplaced.push(violation);
        continue;
      }
      const wrapper = control.classList.contains("field") || control.classList.contains("item-line")
        ? control : control.closest(".field") || control.parentElement;
      if (control.matches("input, select, textarea")) control.setAttribute("aria-invalid", "true");
      wrapper.classList.add("invalid");
      const shown = control.dataset.field === field ? violation.rule : field + ": " + violation.rule;
      wrapper.append(h("span", { class: "field-error", "data-for": field }, shown));
    }
    const outcome = state.entryOutcome;
    if (outcome && outcome.error) {
      const box = $("entry-errors");
      box.hidden = false;
      box.append(h("p", null, h("strong", null, t("notWritten")), " ", outcome.error.message));
      if (unplaced.length) {
        box.append(h("p", null, t("otherProblems")),
          h("ul", null, unplaced.map((v) => h("li", null, h("code", null, v.field || "$"), ": ", v.rule || ""))));
      }
    }
  }

  function renderEntryOutcome() {
    const result = $("entry-result");
    const outcome = state.entryOutcome;
    result.className = "entry-result";
    if (!outcome || outcome.error) {
      result.replaceChildren();
      showViolations(state.violations);
      return;
    }
    if (outcome.pending) {
      result.replaceChildren(t("submitting"));
      return;
    }
    const first = (outcome.results || [])[0] || {};
    result.classList.add("ok");
    result.replaceChildren(first.duplicate
      ? t("duplicate", { position: first.position })
      : t("recorded", { position: first.position, id: first.event_id }));
  }

  async function submitEntry(event) {
    event.preventDefault();
    const submit = $("entry-submit");
    if (submit.disabled) return;
    const body = JSON.stringify(buildEvent());
    submit.disabled = true;
    state.entryOutcome = { pending: true };
    state.violations = [];
    clearViolations();
    renderEntryOutcome();
    try {
      const response = await api("/api/v1/events", { method: "POST", body });
      const results = (response.body && response.body.results) || [];
      const keep = { type: $("entry-type").value, county: $("f-county").value, campaign: $("f-campaign").value };
      resetEntryForm();
      $("entry-type").value = keep.type;
      $("f-county").value = keep.county;
      $("f-campaign").value = keep.campaign;
      showEntryType();
      state.entryOutcome = { results };
    } catch (err) {
      // Nothing was written, or (network failure) we cannot know: the
      // idempotency key is kept so a retry cannot write the entry twice.
      state.entryOutcome = { error: err };
      state.violations = err.violations || [];
    } finally {
      submit.disabled = false;
    }
    renderEntryOutcome();
  }

  function showEntryType() {
    const donation = $("entry-type").value === "donation";
    $("donation-fields").hidden = !donation;
    $("delivery-fields").hidden = donation;
  }

  // ---------------------------------------------------------------- finance

  // The finance page: GET /api/v1/reconciliation, decisions posted to
  // /api/v1/reconciliation/decisions, exports fetched with the token and
  // saved through a blob: URL. It is loaded when shown, and again after
  // every decision and (debounced) whenever the log moves while it is shown.

  function financeKey(kind, id) {
    return kind + ":" + id;
  }

  function formatDate(value) {
    const text = formatTime(value);
    return /^\d{4}-\d{2}-\d{2}/.test(text) ? text.slice(0, 10) : text;
  }

  function sumFen(list, field) {
    let total = 0n;
    for (const item of list || []) total += parseFen(item[field]) || 0n;
    return total;
  }

  function ruleText(rule) {
    const key = "rule." + rule;
    return t(key) === key ? String(rule || "") : t(key);
  }

  function bucketText(bucket) {
    const key = "bucket." + bucket;
    return t(key) === key ? String(bucket || "") : t(key);
  }

  // summaryItem turns the API's bilingual item ("已匹配 matched") into a key
  // ("matched") and its two names.
  function summaryItem(item) {
    const text = String(item || "");
    const cut = text.search(/\s/);
    const zh = cut > 0 ? text.slice(0, cut) : text;
    const en = cut > 0 ? text.slice(cut + 1).trim() : text;
    const key = en.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    return { key, zh, en };
  }

  function summaryLabel(item) {
    const known = "finSum." + item.key;
    if (t(known) !== known) return t(known);
    return state.lang === "zh" ? item.zh : item.en;
  }

  function bucketId(bucket) {
    return String(bucket).replace("+", "plus").replace(/[^a-z0-9-]/gi, "");
  }

  function countText(n) {
    return n === 1 ? t("finCountOne") : t("finCount", { n: formatCount(n) });
  }

  function canDecide() {
    return DECIDING_ROLES.includes(state.role);
  }

  function resetFinance() {
    const fin = state.fin;
    if (fin.timer) window.clearTimeout(fin.timer);
    state.fin = newFinanceState();
  }

  function newFinanceState() {
    return {
      data: null, // the last answer of GET /api/v1/reconciliation
      loading: false,
      error: null,
      seq: 0,
      timer: 0,
      open: new Set(), // keys of open reason forms
      drafts: new Map(), // key → reason typed so far
      busy: new Set(), // keys with a decision on its way
      errors: new Map(), // key → ApiError of the last try
      status: null, // the last decision's or export's outcome: { key, vars, detail, ok }
    };
  }

  async function loadFinance() {
    if (!FINANCE_ROLES.includes(state.role)) return;
    const fin = state.fin;
    const seq = ++fin.seq;
    fin.loading = true;
    if (!fin.data) renderFinance();
    try {
      const answer = (await api("/api/v1/reconciliation")).body || {};
      // A later load, or another sign-in, has the say.
      if (fin !== state.fin || seq !== fin.seq) return;
      fin.data = answer;
      fin.error = null;
    } catch (err) {
      if (fin !== state.fin || seq !== fin.seq) return;
      fin.error = err;
    }
    fin.loading = false;
    renderFinance();
  }

  function scheduleFinanceRefresh() {
    const fin = state.fin;
    if (state.view !== "finance" || fin.timer) return;
    fin.timer = window.setTimeout(() => {
      fin.timer = 0;
      if (state.view === "finance") loadFinance();
    }, FINANCE_REFRESH_MS);
  }

  async function decide(key, request, doneText) {
    const fin = state.fin;
    if (fin.busy.has(key)) return;
    fin.busy.add(key);
    fin.errors.delete(key);
    fin.status = null;
    renderFinance();
    try {
      const response = await api("/api/v1/reconciliation/decisions", { method: "POST", body: JSON.stringify(request) });
      const first = ((response.body && response.body.results) || [])[0] || {};
      fin.open.delete(key);
      fin.drafts.delete(key);
      fin.status = { key: doneText, vars: { id: request.id, position: first.position }, ok: true };
    } catch (err) {
      fin.errors.set(key, err);
    }
    // Reload whatever happened (a refusal may mean someone else decided);
    // the buttons stay disabled until the page shows the new state.
    await loadFinance();
    fin.busy.delete(key);
    renderFinance();
  }

  function errorText(err) {
    const parts = [err.message];
    for (const violation of err.violations || []) parts.push((violation.field || "$") + ": " + (violation.rule || ""));
    return parts.join(" · ");
  }

  // reasonForm is the inline form that asks why before a reject or a
  // write-off. Reasons are not checked here: the API says what is wrong.
  function reasonForm(key, labelKey, submitKey, onSubmit) {
    const fin = state.fin;
    const busy = fin.busy.has(key);
    const inputId = "reason-" + key.replace(/[^A-Za-z0-9_-]/g, "-");
    const input = h("input", { id: inputId, type: "text", maxlength: "2000", autocomplete: "off", class: "reason-input", "data-key": key });
    input.value = fin.drafts.get(key) || "";
    input.addEventListener("input", () => fin.drafts.set(key, input.value));
    const form = h("form", { class: "reason-form", novalidate: true, "data-key": key },
      h("label", { for: inputId }, t(labelKey)),
      h("div", { class: "reason-row" },
        input,
        h("button", { class: "button primary small", type: "submit", disabled: busy, "data-action": "submit-reason" }, busy ? t("finWorking") : t(submitKey)),
        h("button", { class: "button ghost small", type: "button", disabled: busy, "data-action": "cancel", onclick: () => {
          fin.open.delete(key);
          fin.errors.delete(key);
          renderFinance();
        } }, t("finCancel"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      onSubmit(input.value.trim());
    });
    return form;
  }

  function decisionError(key) {
    const err = state.fin.errors.get(key);
    if (!err) return null;
    return h("p", { class: "error-text decision-error", role: "alert" }, t("finNotRecorded"), errorText(err));
  }

  function table(id, headers, rows, foot) {
    const node = $(id);
    const parts = [
      h("thead", null, h("tr", null, headers.map(([key, cls]) => h("th", { scope: "col", class: cls }, t(key))))),
      h("tbody", null, rows)];
    if (foot) parts.push(h("tfoot", null, foot));
    node.replaceChildren(...parts);
    node.hidden = rows.length === 0;
    const empty = $(id + "-empty");
    if (empty) empty.hidden = rows.length > 0 || !state.fin.data;
  }

  function amountCell(value, extra) {
    const fen = parseFen(value);
    return h("td", { class: "num" + (fen !== null && fen < 0n ? " negative" : "") + (extra ? " " + extra : "") }, formatYuan(value));
  }

  function renderFinance() {
    if (!FINANCE_ROLES.includes(state.role)) return;
    const fin = state.fin;
    // Keep the focus (and the caret) across the re-render; what is typed is
    // kept in fin.drafts.
    const active = document.activeElement;
    let focus = null;
    if (active && $("finance-page").contains(active)) {
      const keyed = active.closest("[data-key]");
      const action = active.dataset.action || (active.classList.contains("reason-input") ? "input" : "");
      if (keyed && action) focus = { key: keyed.dataset.key, action, start: active.selectionStart, end: active.selectionEnd };
    }

    const errorBox = $("fin-error");
    errorBox.hidden = !fin.error;
    errorBox.textContent = fin.error ? t("loadFailed") + errorText(fin.error) : "";
    $("fin-readonly").hidden = canDecide();
    renderFinanceStatus();

    const answer = fin.data;
    const result = (answer && answer.reconciliation) || {};
    setText("fin-position", answer ? String(result.position || 0) : fin.loading ? t("finLoading") : "—");
    renderFinanceSummary(answer, result);
    renderSuggestions(result.suggested || []);
    renderUnmatchedLines(result.unmatched_lines || []);
    renderUnmatchedDonations(result.unmatched_donations || []);
    renderDuplicates(result.duplicates || []);
    renderPrinted(result.printed_twice || []);
    renderPledges(result.outstanding || []);
    renderSettled(result.matched || [], result.written_off || [], result.refunds || [], result.fees || []);
    $("fin-import-card").hidden = !canDecide();

    if (focus) {
      const key = CSS.escape(focus.key);
      const action = CSS.escape(focus.action);
      const target = focus.action === "input"
        ? document.querySelector('#finance-page form[data-key="' + key + '"] .reason-input')
        : document.querySelector('#finance-page [data-key="' + key + '"][data-action="' + action + '"], #finance-page [data-key="' + key + '"] [data-action="' + action + '"]');
      if (target && !target.disabled) {
        target.focus();
        if (focus.action === "input" && typeof focus.start === "number") target.setSelectionRange(focus.start, focus.end);
      }
    }
  }

  function renderFinanceStatus() {
    const status = state.fin.status;
    const box = $("fin-status");
    box.textContent = status ? t(status.key, status.vars) + (status.detail || "") : "";
    box.classList.toggle("ok", Boolean(status && status.ok));
  }

  function renderFinanceSummary(answer, result) {
    const box = $("fin-summary");
    if (!answer) {
      box.replaceChildren();
      return;
    }
    const items = (answer.summary || []).map((entry) => {
      const item = summaryItem(entry.item);
      return { key: item.key, label: summaryLabel(item), count: Number(entry.count) || 0, amount: entry.amount };
    });
    box.replaceChildren(...items.map((item) => h("div", { class: "fin-tile fin-tile-" + item.key, id: "fin-sum-" + item.key },
      h("span", { class: "kpi-label" }, item.label),
      h("span", { class: "fin-tile-count", id: "fin-sum-" + item.key + "-count", "data-count": item.count }, countText(item.count)),
      h("span", { class: "fin-tile-amount", id: "fin-sum-" + item.key + "-amount" }, item.fen !== undefined ? formatFen(item.fen) : formatYuan(item.amount)))));
  }

  function renderSuggestions(suggested) {
    const decide_ = canDecide();
    $("fin-suggestions-empty").hidden = suggested.length > 0 || !state.fin.data;
    $("fin-suggestions").replaceChildren(...suggested.map((match) => {
      const key = financeKey("suggestion", match.id);
      const fin = state.fin;
      const busy = fin.busy.has(key);
      const lines = match.lines || [];
      const donations = match.donations || [];
      const linesFen = lines.reduce((sum, line) => {
        const fen = parseFen(line.amount) || 0n;
        return sum + (fen < 0n ? -fen : fen);
      }, 0n);
      const feeFen = parseFen(match.fee) || 0n;
      const donationsFen = sumFen(donations, "amount");
      let balance;
      if (donations.length === 0) balance = t("finBalanceFeeOnly", { fee: formatFen(feeFen) });
      else if (feeFen !== 0n) balance = t("finBalanceLine", { lines: formatFen(linesFen), fee: formatFen(feeFen), donations: formatFen(donationsFen) });
      else balance = t("finBalanceNoFee", { lines: formatFen(linesFen), donations: formatFen(donationsFen) });
      const adds = linesFen + feeFen === donationsFen || donations.length === 0;

      const head = h("div", { class: "sug-head" },
        h("span", { class: "badge rule-badge rule-" + String(match.rule || "").replace(/[^a-z-]/g, "") }, ruleText(match.rule)),
        h("code", { class: "sug-rule-code", title: t("finRule") }, match.rule || ""),
        match.similarity ? h("span", { class: "sug-meta sug-similarity" }, t("finSimilarity") + " ", h("strong", null, Number(match.similarity).toFixed(2))) : null,
        match.fee ? h("span", { class: "sug-meta sug-fee" }, t("finFee") + " ", h("strong", null, formatYuan(match.fee))) : null,
        h("code", { class: "sug-id" }, match.id || ""));
      const lineTable = h("table", { class: "data compact sug-lines" },
        h("caption", null, t("finBankLines")),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, t("colDate")), h("th", { scope: "col", class: "num" }, t("colAmount")),
          h("th", { scope: "col" }, t("colCounterparty")), h("th", { scope: "col" }, t("colRemark")))),
        h("tbody", null, lines.map((line) => h("tr", { "data-line": line.line_id },
          h("td", { class: "nowrap" }, formatDate(line.date)), amountCell(line.amount),
          h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—")))));
      const donationTable = donations.length ? h("table", { class: "data compact sug-donations" },
        h("caption", null, t("finDonations")),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, t("colDonation")), h("th", { scope: "col" }, t("colCampaign")),
          h("th", { scope: "col", class: "num" }, t("colAmount")))),
        h("tbody", null, donations.map((donation) => h("tr", { "data-donation": donation.donation_id },
          h("td", { class: "nowrap" }, donation.donation_id || ""), h("td", null, labelText(state.labels.campaigns, donation.campaign)),
          amountCell(donation.amount))))) : null;
      const actions = decide_ ? h("div", { class: "sug-actions" },
        h("button", { class: "button primary small", type: "button", disabled: busy, "data-key": key, "data-action": "confirm",
          onclick: () => decide(key, { action: "confirm", id: match.id }, "finConfirmed") }, busy && !fin.open.has(key) ? t("finWorking") : t("finConfirm")),
        fin.open.has(key) ? null : h("button", { class: "button ghost small", type: "button", disabled: busy, "data-key": key, "data-action": "reject",
          onclick: () => {
            fin.open.add(key);
            fin.errors.delete(key);
            renderFinance();
            const input = document.querySelector('#finance-page form[data-key="' + CSS.escape(key) + '"] .reason-input');
            if (input) input.focus();
          } }, t("finReject"))) : null;
      const form = decide_ && fin.open.has(key)
        ? reasonForm(key, "finRejectReason", "finRejectSubmit", (reason) => decide(key, { action: "reject", id: match.id, reason }, "finRejected"))
        : null;
      return h("li", { class: "suggestion", id: "suggestion-" + match.id, "data-id": match.id, "data-rule": match.rule },
        head,
        h("div", { class: "sug-body" }, h("div", { class: "table-wrap" }, lineTable), donationTable ? h("div", { class: "table-wrap" }, donationTable) : null),
        h("p", { class: "sug-balance" + (adds ? "" : " negative") }, balance),
        actions, form, decisionError(key));
    }));
  }

  function renderUnmatchedLines(lines) {
    const decide_ = canDecide();
    const fin = state.fin;
    const headers = [["colDate"], ["colSerial"], ["colAmount", "num"], ["colCounterparty"], ["colRemark"]];
    if (decide_) headers.push(["colAction"]);
    const rows = [];
    for (const line of lines) {
      const key = financeKey("line", line.line_id);
      const busy = fin.busy.has(key);
      rows.push(h("tr", { id: "line-" + line.line_id, "data-line": line.line_id },
        h("td", { class: "nowrap" }, formatDate(line.date)), h("td", { class: "nowrap" }, line.serial || "—"),
        amountCell(line.amount), h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—"),
        decide_ ? h("td", null, fin.open.has(key) ? null : h("button", { class: "button ghost small", type: "button", disabled: busy,
          "data-key": key, "data-action": "write-off", onclick: () => {
            fin.open.add(key);
            fin.errors.delete(key);
            renderFinance();
            const input = document.querySelector('#finance-page form[data-key="' + CSS.escape(key) + '"] .reason-input');
            if (input) input.focus();
          } }, t("finWriteOff"))) : null));
      if (decide_ && (fin.open.has(key) || fin.errors.has(key))) {
        rows.push(h("tr", { class: "form-row" }, h("td", { colspan: String(headers.length) },
          fin.open.has(key) ? reasonForm(key, "finWriteOffReason", "finWriteOffSubmit",
            (reason) => decide(key, { action: "write-off", id: line.line_id, reason }, "finWrittenOff")) : null,
          decisionError(key))));
      }
    }
    table("fin-lines", headers, rows, lines.length ? h("tr", { class: "sum" }, h("th", { scope: "row", colspan: "2" }, t("totalRow")),
      h("td", { class: "num" }, formatFen(sumFen(lines, "amount"))), h("td", { colspan: String(headers.length - 3) })) : null);
  }

  function renderUnmatchedDonations(donations) {
    const rows = donations.map((donation) => h("tr", { id: "donation-" + donation.donation_id, "data-donation": donation.donation_id },
      h("td", { class: "nowrap" }, donation.donation_id || ""), h("td", null, donation.donor || "—"),
      h("td", null, labelText(state.labels.campaigns, donation.campaign)), h("td", null, regionLabel(donation.county).primary),
      h("td", { class: "nowrap" }, formatDate(donation.date)), amountCell(donation.amount)));
    table("fin-donations", [["colDonation"], ["colDonor"], ["colCampaign"], ["colRegion"], ["colDate"], ["colAmount", "num"]], rows,
      donations.length ? h("tr", { class: "sum" }, h("th", { scope: "row", colspan: "5" }, t("totalRow")),
        h("td", { class: "num" }, formatFen(sumFen(donations, "amount")))) : null);
  }

  function renderDuplicates(groups) {
    const rows = [];
    groups.forEach((group, i) => {
      for (const line of group || []) {
        rows.push(h("tr", { class: i % 2 ? "dup-odd" : "dup-even", "data-line": line.line_id },
          h("td", { class: "num" }, "#" + (i + 1)), h("td", { class: "nowrap" }, formatDate(line.date)),
          h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
          h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—")));
      }
    });
    table("fin-duplicates", [["colGroup", "num"], ["colDate"], ["colSerial"], ["colAmount", "num"], ["colCounterparty"], ["colRemark"]], rows);
  }

  function renderPledges(pledges) {
    const buckets = new Map(PLEDGE_BUCKETS.map((bucket) => [bucket, { count: 0, fen: 0n }]));
    for (const pledge of pledges) {
      if (!buckets.has(pledge.bucket)) buckets.set(pledge.bucket, { count: 0, fen: 0n });
      const figures = buckets.get(pledge.bucket);
      figures.count++;
      figures.fen += parseFen(pledge.amount) || 0n;
    }
    const tiles = [];
    let allCount = 0;
    let allFen = 0n;
    for (const [bucket, figures] of buckets) {
      allCount += figures.count;
      allFen += figures.fen;
      const id = "fin-bucket-" + bucketId(bucket);
      tiles.push(h("div", { class: "fin-tile bucket bucket-" + bucketId(bucket), id },
        h("span", { class: "kpi-label" }, bucketText(bucket)),
        h("span", { class: "fin-tile-count", id: id + "-count", "data-count": figures.count }, countText(figures.count)),
        h("span", { class: "fin-tile-amount", id: id + "-amount" }, formatFen(figures.fen))));
    }
    tiles.push(h("div", { class: "fin-tile bucket bucket-all", id: "fin-bucket-all" },
      h("span", { class: "kpi-label" }, t("totalRow")),
      h("span", { class: "fin-tile-count", id: "fin-bucket-all-count", "data-count": allCount }, countText(allCount)),
      h("span", { class: "fin-tile-amount", id: "fin-bucket-all-amount" }, formatFen(allFen))));
    $("fin-buckets").replaceChildren(...(state.fin.data ? tiles : []));
    const rows = pledges.map((pledge) => h("tr", { id: "pledge-" + pledge.donation_id, "data-donation": pledge.donation_id },
      h("td", { class: "nowrap" }, pledge.donation_id || ""), h("td", null, pledge.donor || "—"),
      h("td", null, labelText(state.labels.campaigns, pledge.campaign)), h("td", { class: "nowrap" }, formatDate(pledge.date)),
      amountCell(pledge.amount), h("td", { class: "num" }, formatCount(pledge.age_days)),
      h("td", null, h("span", { class: "bucket-chip bucket-" + bucketId(pledge.bucket) }, bucketText(pledge.bucket)))));
    table("fin-pledges", [["colDonation"], ["colDonor"], ["colCampaign"], ["colPledgedOn"], ["colAmount", "num"], ["colAgeDays", "num"], ["colBucket"]], rows);
  }

  function renderPrinted(rows) {
    table("fin-printed", [["colDate"], ["colSerial"], ["colAmount", "num"], ["colCounterparty"], ["colPrintedAt"], ["colFirstAt"], ["colFile"]],
      rows.map((row) => h("tr", { "data-line": row.line_id },
        h("td", { class: "nowrap" }, formatDate(row.date)), h("td", { class: "nowrap" }, row.serial || "—"), amountCell(row.amount),
        h("td", null, row.counterparty || "—"), h("td", { class: "nowrap" }, row.where || ""), h("td", { class: "nowrap" }, row.of || ""),
        h("td", null, row.file || "—"))));
  }

  function renderSettled(matched, written, refunds, fees) {
    const matchedRows = matched.map((match) => h("tr", { id: "matched-" + match.id, "data-id": match.id },
      h("td", { class: "nowrap" }, ruleText(match.rule)),
      h("td", null, (match.lines || []).map((line) => h("div", { class: "nowrap" }, formatDate(line.date) + " · " + formatYuan(line.amount) +
        (line.counterparty ? " · " + line.counterparty : "")))),
      h("td", null, (match.donations || []).map((donation) => h("div", { class: "nowrap" }, (donation.donation_id || "") + " · " + formatYuan(donation.amount)))),
      amountCell(match.fee || "0.00"),
      h("td", null, match.decided_by ? h("code", null, match.decided_by) : "—")));
    table("fin-matched", [["colRule"], ["colLines"], ["colDonations"], ["finFee", "num"], ["colDecidedBy"]], matchedRows);
    const writtenRows = written.map((line) => h("tr", { "data-line": line.line_id },
      h("td", { class: "nowrap" }, formatDate(line.date)), h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
      amountCell(line.written_off), h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—"),
      h("td", { class: "reason" }, line.reason || "—")));
    table("fin-written", [["colDate"], ["colSerial"], ["colAmount", "num"], ["colWrittenOff", "num"], ["colCounterparty"], ["colRemark"], ["colReason"]], writtenRows);
    const refundRows = refunds.map((pair) => h("tr", { id: "refund-" + pair.id, "data-id": pair.id },
      h("td", null, (pair.lines || []).map((line) => h("div", { class: "nowrap" }, formatDate(line.date) + " · " + formatYuan(line.amount) +
        (line.counterparty ? " · " + line.counterparty : "")))),
      h("td", null, pair.why || "—"),
      h("td", null, pair.decided_by ? h("code", null, pair.decided_by) : "—")));
    table("fin-refunds", [["colLines"], ["colNote"], ["colDecidedBy"]], refundRows);
    const feeRows = fees.map((fee) => h("tr", { "data-line": fee.line_id },
      h("td", { class: "nowrap" }, formatDate(fee.date)), h("td", { class: "nowrap" }, fee.serial || "—"), amountCell(fee.amount),
      h("td", null, fee.source === "match" ? t("finFeeWithMatch", { id: fee.match_id }) : t("finFeeWrittenOff")),
      h("td", null, fee.decided_by ? h("code", null, fee.decided_by) : "—")));
    table("fin-fees", [["colDate"], ["colSerial"], ["finFee", "num"], ["colSource"], ["colDecidedBy"]], feeRows);
  }

  // ---------------------------------------------------------------- statement import

  // The statement is sent as it is (the server reads GBK, UTF-8, XLSX and
  // CAMT.053) first with preview=true, which writes nothing; the preview
  // shows the new lines, those already in the ledger, the rows printed
  // twice and the checks, and only "Import" writes, by the same plan.
  const importState = { file: null, preview: null, busy: false };

  function importPath(preview) {
    const query = new URLSearchParams();
    query.set("file", importState.file.name);
    const profile = $("fin-import-profile").value;
    if (profile) query.set("profile", profile);
    const account = $("fin-import-account").value.trim();
    if (account) query.set("account", account);
    if (preview) query.set("preview", "true");
    return "/api/v1/reconciliation/statements?" + query.toString();
  }

  async function sendStatement(preview) {
    const body = await importState.file.arrayBuffer();
    let response;
    try {
      response = await fetch(importPath(preview), { method: "POST", cache: "no-store", body,
        headers: { Accept: "application/json", Authorization: "Bearer " + state.token, "Content-Type": "application/octet-stream" } });
    } catch (err) {
      throw new ApiError(0, "network", t("networkError"), []);
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (err) {
      answer = null;
    }
    if (!response.ok) {
      const failure = answer && answer.error ? answer.error : {};
      throw new ApiError(response.status, failure.code || "http_" + response.status, failure.message || String(response.status), failure.violations);
    }
    return (answer && answer.import) || {};
  }

  async function previewStatement(event) {
    event.preventDefault();
    const input = $("fin-import-file");
    const status = $("fin-import-status");
    importState.file = input.files && input.files[0] ? input.files[0] : null;
    importState.preview = null;
    $("fin-import-result").hidden = true;
    if (!importState.file) {
      status.textContent = t("finImportChoose");
      return;
    }
    status.textContent = t("finImportReading");
    try {
      importState.preview = await sendStatement(true);
      status.textContent = "";
      renderImportPreview();
    } catch (err) {
      status.textContent = t("finImportFailed") + errorText(err);
    }
  }

  function renderImportPreview() {
    const plan = importState.preview;
    const box = $("fin-import-result");
    box.hidden = !plan;
    if (!plan) return;
    const newLines = plan.new || [];
    const already = plan.already || [];
    const twice = plan.printed_twice || [];
    $("fin-import-summary").textContent = t("finImportSummary", { file: plan.file || "", format: plan.format || "",
      profile: plan.profile ? " · " + plan.profile : "", account: plan.account || "", first: plan.first_date || "", last: plan.last_date || "",
      new: formatCount(newLines.length), already: formatCount(already.length), twice: formatCount(twice.length) });
    $("fin-import-summary").dataset.new = String(newLines.length);
    $("fin-import-summary").dataset.already = String(already.length);
    $("fin-import-summary").dataset.twice = String(twice.length);
    $("fin-import-balance").textContent = plan.balance_checked ? t("finImportBalanceOk") : t("finImportBalanceUnknown");
    $("fin-import-warnings").replaceChildren(...(plan.warnings || []).map((warning) => h("li", null, t("finImportWarning") + warning)));
    const problems = plan.problems || [];
    $("fin-import-problems").replaceChildren(...problems.map((problem) => h("li", null, t("finImportProblem") + problem)));
    if (newLines.length === 0 && problems.length === 0) $("fin-import-problems").append(h("li", { class: "muted" }, t("finImportNothing")));
    const rows = newLines.map((line) => h("tr", { "data-line": line.line_id },
      h("td", { class: "nowrap" }, line.date || ""), h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
      h("td", { class: "num" }, line.balance ? formatYuan(line.balance) : "—"), h("td", null, line.counterparty || "—"),
      h("td", null, line.remark || "—"), h("td", { class: "nowrap" }, line.where || "")));
    const node = $("fin-import-lines");
    node.replaceChildren(h("thead", null, h("tr", null, [["colDate"], ["colSerial"], ["colAmount", "num"], ["colBalance", "num"],
      ["colCounterparty"], ["colRemark"], ["colWhere"]].map(([key, cls]) => h("th", { scope: "col", class: cls }, t(key))))), h("tbody", null, rows));
    node.hidden = rows.length === 0;
    $("fin-import-confirm").disabled = importState.busy || problems.length > 0 || newLines.length === 0;
  }

  async function confirmStatement() {
    if (!importState.file || !importState.preview || importState.busy) return;
    const status = $("fin-import-status");
    importState.busy = true;
    renderImportPreview();
    try {
      const done = await sendStatement(false);
      status.textContent = t("finImportDone", { file: done.file || importState.file.name, written: formatCount(done.written || 0),
        already: formatCount((done.already || []).length) });
      status.classList.add("ok");
      importState.preview = null;
      $("fin-import-result").hidden = true;
      // The account and profile stay for the next statement of the month.
      $("fin-import-file").value = "";
    } catch (err) {
      status.textContent = t("finImportFailed") + errorText(err);
      status.classList.remove("ok");
    }
    importState.busy = false;
    if (importState.preview) renderImportPreview();
    await loadFinance();
  }

  // exportReconciliation downloads the export with the token: a plain link
  // cannot send the Authorization header, so the file is fetched and handed
  // to the browser through a blob: URL.
  async function exportReconciliation(event) {
    event.preventDefault();
    const link = event.currentTarget;
    const fin = state.fin;
    fin.status = { key: "finExporting" };
    renderFinanceStatus();
    let response;
    try {
      response = await fetch(link.getAttribute("href"), { headers: { Authorization: "Bearer " + state.token }, cache: "no-store" });
    } catch (err) {
      fin.status = { key: "finExportFailed", detail: t("networkError") };
      renderFinanceStatus();
      return;
    }
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try {
        const body = await response.json();
        if (body && body.error && body.error.message) message = body.error.message;
      } catch (err) {
        // not JSON: the status says it
      }
      fin.status = { key: "finExportFailed", detail: message };
      renderFinanceStatus();
      return;
    }
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/i.exec(disposition);
    const name = named ? named[1] : "reconciliation." + (link.dataset.format || "xlsx");
    const url = URL.createObjectURL(blob);
    const save = h("a", { href: url, download: name, hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
    fin.status = { key: "finExported", vars: { name }, ok: true };
    renderFinanceStatus();
  }

  // ---------------------------------------------------------------- views

  function viewOfHash() {
    if (window.location.hash === "#finance") return "finance";
    if (window.location.hash === "#access") return "access";
    return "overview";
  }

  function showView(view, keepHash) {
    const finance = view === "finance" && FINANCE_ROLES.includes(state.role);
    const access = view === "access" && ACCESS_ROLES.includes(state.role);
    state.view = finance ? "finance" : access ? "access" : "overview";
    $("dashboard").hidden = finance || access;
    $("finance-page").hidden = !finance;
    $("access-page").hidden = !access;
    for (const tab of document.querySelectorAll("#view-tabs .tab")) {
      const selected = tab.dataset.view === state.view;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
    }
    if (!keepHash) {
      const hash = finance ? "#finance" : access ? "#access" : "";
      if (window.location.hash !== hash) history.replaceState(null, "", window.location.pathname + window.location.search + hash);
    }
    if (finance) {
      renderFinance();
      loadFinance();
    }
    if (access) loadAccessLog();
  }

  // loadAccessLog shows the recorded reads of personal data, newest first.
  async function loadAccessLog() {
    if (!ACCESS_ROLES.includes(state.role)) return;
    const table = $("access-table");
    const failure = $("access-error");
    try {
      const records = ((await api("/api/v1/access-log")).body || {}).records || [];
      failure.hidden = true;
      const head = h("thead", null, h("tr", null, ["accessWhen", "accessReader", "accessRole", "accessVia", "accessSubjects"].map((key) => h("th", { text: t(key) }))));
      const rows = records.slice().reverse().map((record) => {
        let subjects = (record.subjects || []).join(", ");
        if (record.more_subjects) subjects += " +" + record.more_subjects;
        return h("tr", null, h("td", { text: new Date(record.at).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB") }),
          h("td", { text: record.reader }), h("td", { text: record.role }), h("td", { text: record.via }), h("td", { text: subjects }));
      });
      const body = h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: "5", class: "muted", text: t("accessEmpty") })));
      table.replaceChildren(head, body);
    } catch (err) {
      failure.textContent = err.message;
      failure.hidden = false;
    }
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    $("lang-toggle").addEventListener("click", () => setLanguage(state.lang === "zh" ? "en" : "zh"));
    $("sign-out").addEventListener("click", () => {
      forgetToken();
      state.role = "";
      showLogin("");
    });
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) return;
      saveToken(token);
      start();
    });
    $("audit-form").addEventListener("submit", (event) => {
      event.preventDefault();
      lookupAudit($("audit-id").value, false);
    });
    $("entry-form").addEventListener("submit", submitEntry);
    $("entry-type").addEventListener("change", () => {
      showEntryType();
      showViolations(state.violations);
    });
    $("entry-reset").addEventListener("click", resetEntryForm);
    const tabs = Array.from(document.querySelectorAll("#view-tabs .tab"));
    for (const tab of tabs) {
      tab.addEventListener("click", () => showView(tab.dataset.view));
      tab.addEventListener("keydown", (event) => {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        event.preventDefault();
        const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        showView(next.dataset.view);
        next.focus();
      });
    }
    window.addEventListener("hashchange", () => {
      if (state.role) showView(viewOfHash(), true);
    });
    $("fin-refresh").addEventListener("click", () => loadFinance());
    $("access-refresh").addEventListener("click", () => loadAccessLog());
    $("fin-export-xlsx").addEventListener("click", exportReconciliation);
    $("fin-export-csv").addEventListener("click", exportReconciliation);
    $("fin-import-form").addEventListener("submit", previewStatement);
    $("fin-import-confirm").addEventListener("click", confirmStatement);
    $("fin-import-cancel").addEventListener("click", () => {
      importState.preview = null;
      $("fin-import-result").hidden = true;
      $("fin-import-status").textContent = "";
    });
    $("v-add-item").addEventListener("click", () => {
      readItemLines();
      itemLines.push(newItemLine());
      renderItemLines();
    });
  }

  function init() {
    let lang = "zh";
    try {
      lang = localStorage.getItem(LANG_KEY) || "zh";
    } catch (err) {
      lang = "zh";
    }
    state.lang = lang === "en" ? "en" : "zh";
    wire();
    applyLanguage();
    start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
