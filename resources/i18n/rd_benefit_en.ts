<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context><name>MainWindow</name>
<message><source>研发惠企测算</source><translation>R&amp;D Benefit Desk</translation></message>
<message><source> 年度 </source><translation> Year </translation></message>
<message><source> 期间 </source><translation> Period </translation></message>
<message><source>Excel 工作簿 (*.xlsx *.xls)</source><translation>Excel workbooks (*.xlsx *.xls)</translation></message>
<message><source>Excel 工作簿 (*.xlsx)</source><translation>Excel workbook (*.xlsx)</translation></message>
<message><source>不保存</source><translation>Don't save</translation></message>
<message><source>不可加计扣除</source><translation>not eligible</translation></message>
<message><source>不恢复</source><translation>Don't recover</translation></message>
<message><source>从工作簿导入</source><translation>Import from workbook</translation></message>
<message><source>从工作簿导入…</source><translation>Import from workbook…</translation></message>
<message><source>位置</source><translation>Location</translation></message>
<message><source>保存</source><translation>Save</translation></message>
<message><source>保存修改</source><translation>Save changes</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>关于</source><translation>About</translation></message>
<message><source>删除所选行</source><translation>Delete selected rows</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>另存为</source><translation>Save as</translation></message>
<message><source>另存为…</source><translation>Save as…</translation></message>
<message><source>只读打开</source><translation>Open read-only</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>导入ERP凭证…</source><translation>Import ERP vouchers…</translation></message>
<message><source>导出为工作簿</source><translation>Export as workbook</translation></message>
<message><source>导出为工作簿…</source><translation>Export as workbook…</translation></message>
<message><source>导出申报报表到文件夹</source><translation>Export the filing forms to a folder</translation></message>
<message><source>导出申报报表（A107012、辅助账、汇总表）…</source><translation>Export filing forms (A107012, ledgers, summary)…</translation></message>
<message><source>工具(&amp;T)</source><translation>&amp;Tools</translation></message>
<message><source>已导出：</source><translation>Exported: </translation></message>
<message><source>帮助(&amp;H)</source><translation>&amp;Help</translation></message>
<message><source>必填 </source><translation>required </translation></message>
<message><source>快速测算…</source><translation>Quick estimate…</translation></message>
<message><source>恢复</source><translation>Recover</translation></message>
<message><source>恢复未保存的修改</source><translation>Recover unsaved changes</translation></message>
<message><source>打开</source><translation>Open</translation></message>
<message><source>打开…</source><translation>Open…</translation></message>
<message><source>报告</source><translation>Statement</translation></message>
<message><source>提示</source><translation>Info</translation></message>
<message><source>搜索</source><translation>Search</translation></message>
<message><source>摘要、凭证号…</source><translation>Summary, voucher no…</translation></message>
<message><source>撤销</source><translation>Undo</translation></message>
<message><source>文件(&amp;F)</source><translation>&amp;File</translation></message>
<message><source>文件正在使用</source><translation>File in use</translation></message>
<message><source>新增行</source><translation>Add row</translation></message>
<message><source>新建工作区</source><translation>New workspace</translation></message>
<message><source>新建工作区…</source><translation>New workspace…</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>是否恢复？</source><translation>Recover it?</translation></message>
<message><source>最近打开</source><translation>Recent files</translation></message>
<message><source>月份</source><translation>Month</translation></message>
<message><source>月份 如 2024-03</source><translation>Month e.g. 2024-03</translation></message>
<message><source>未打开工作区</source><translation>No workspace open</translation></message>
<message><source>检查结果</source><translation>Findings</translation></message>
<message><source>正在计算…</source><translation>Computing…</translation></message>
<message><source>测算期间</source><translation>Period</translation></message>
<message><source>测算结果</source><translation>Results</translation></message>
<message><source>生成报告…</source><translation>Statement…</translation></message>
<message><source>研发费用加计扣除、高新技术企业与研发后补助测算（离线）</source><translation>R&amp;D super-deduction, high-tech enterprise and post-subsidy estimates (offline)</translation></message>
<message><source>级别</source><translation>Level</translation></message>
<message><source>编辑(&amp;E)</source><translation>&amp;Edit</translation></message>
<message><source>计算完成</source><translation>Computed</translation></message>
<message><source>说明</source><translation>Message</translation></message>
<message><source>费用代码</source><translation>Code</translation></message>
<message><source>退出</source><translation>Quit</translation></message>
<message><source>重做</source><translation>Redo</translation></message>
<message><source>重新计算</source><translation>Recompute</translation></message>
<message><source>项目</source><translation>Project</translation></message>
<message><source>（只读）</source><translation> (read-only)</translation></message>
<message><source>视图(&amp;V)</source><translation>&amp;View</translation></message>
<message><source>语言 / Language</source><translation>Language / 语言</translation></message>
<message><source>界面语言将在重新启动后生效</source><translation>The interface language applies after a restart</translation></message>
<message><source>复制</source><translation>Copy</translation></message>
<message><source>粘贴</source><translation>Paste</translation></message>
<message><source>删除行</source><translation>Delete rows</translation></message>
<message><source>查找…</source><translation>Find…</translation></message>
<message><source>选择…</source><translation>Choose…</translation></message>
<message><source>用户手册</source><translation>User manual</translation></message>
<message><source>找不到用户手册：</source><translation>User manual not found: </translation></message>
<message><source>界面语言</source><translation>Interface language</translation></message>
<message><source>界面语言将在重新启动后生效。现在重新启动吗？</source><translation>The interface language applies after a restart. Restart now?</translation></message>
<message><source>立即重新启动</source><translation>Restart now</translation></message>
<message><source>稍后</source><translation>Later</translation></message>
<message><source>打开示例</source><translation>Open the sample</translation></message>
<message><source>（暂无）</source><translation>(none)</translation></message>
<message><source>未打开工作区：新建一个企业的工作区，打开已有的，或先看示例。</source><translation>No workspace open: create one for an enterprise, open one, or look at the sample first.</translation></message>
<message><source>未选择（点击“选择…”按省份选择所在地区的政策）</source><translation>None chosen (click “Choose…” to pick the region's policy)</translation></message>
<message><source>所在地区后补助政策：点击“选择…”按省、市/区选择</source><translation>Regional post-subsidy policy: click “Choose…” to pick by province and city</translation></message>
<message><source>粘贴未执行（没有写入任何内容）：</source><translation>Nothing pasted (nothing was written): </translation></message>
<message><source>未打开可编辑的工作区</source><translation>No editable workspace open</translation></message>
<message><source>年度汇算</source><translation>Annual</translation></message>
<message><source>上半年（7月预缴）</source><translation>H1 (July prepayment)</translation></message>
<message><source>前三季度（10月预缴）</source><translation>Q1–Q3 (October prepayment)</translation></message>
<message><source>错误</source><translation>Error</translation></message>
<message><source>警告</source><translation>Warning</translation></message>
<message><source>企业信息</source><translation>Enterprise</translation></message>
<message><source>年度数据</source><translation>Yearly data</translation></message>
<message><source>研发项目</source><translation>Projects</translation></message>
<message><source>研发支出</source><translation>Ledger</translation></message>
<message><source>调整事项</source><translation>Adjustments</translation></message>
<message><source>补助测算信息</source><translation>Subsidy facts</translation></message>
<message><source>人员工时</source><translation>Timesheets</translation></message>
<message><source>人员薪酬</source><translation>Payroll</translation></message>
<message><source>设备折旧</source><translation>Equipment depreciation</translation></message>
<message><source>设备工时</source><translation>Equipment hours</translation></message>
<message><source>工时分配</source><translation>Time allocation</translation></message>
<message><source>工作区一览…</source><translation>Workspace roster…</translation></message>
<message><source>留存备查资料清单…</source><translation>Evidence checklist…</translation></message>
<message><source>审计记录…</source><translation>Audit trail…</translation></message>
<message><source>设置…</source><translation>Settings…</translation></message>
<message><source>风险</source><translation>Risk</translation></message>
<message><source>{n} 项</source><translation>{n} items</translation></message>
<message><source>税务风险提示（模拟税务机关风险扫描，不影响计算结果）</source><translation>Tax risk flags (a simulated tax-bureau risk scan; the figures are not affected)</translation></message>
<message><source>正在导入工作簿…</source><translation>Importing the workbook…</translation></message>
<message><source>导入已取消</source><translation>Import cancelled</translation></message>
<message><source>关注</source><translation>Attention</translation></message>
<message><source>高风险</source><translation>High risk</translation></message>
</context>
<context><name>schema</name>
<message><source>年度</source><translation>Year</translation></message>
<message><source>季度</source><translation>Period</translation></message>
<message><source>主营业务收入</source><translation>Main revenue</translation></message>
<message><source>其他业务收入</source><translation>Other revenue</translation></message>
<message><source>收入总额</source><translation>Total income</translation></message>
<message><source>不征税收入</source><translation>Non-taxable income</translation></message>
<message><source>投资收益</source><translation>Investment income</translation></message>
<message><source>高新技术产品（服务）收入</source><translation>High-tech income</translation></message>
<message><source>负面清单行业收入</source><translation>Negative-list revenue</translation></message>
<message><source>制造业业务收入</source><translation>Manufacturing revenue</translation></message>
<message><source>职工总数</source><translation>Staff</translation></message>
<message><source>科技人员数</source><translation>R&amp;D staff</translation></message>
<message><source>资产总额</source><translation>Assets</translation></message>
<message><source>负债总额</source><translation>Liabilities</translation></message>
<message><source>从业人数（季度平均）</source><translation>Headcount (quarterly avg.)</translation></message>
<message><source>资产总额（季度平均）</source><translation>Assets (quarterly avg.)</translation></message>
<message><source>成本费用支出总额</source><translation>Total costs</translation></message>
<message><source>应纳税所得额</source><translation>Taxable income</translation></message>
<message><source>以前年度可弥补亏损</source><translation>Prior losses</translation></message>
<message><source>研发费用（加计扣除口径）</source><translation>R&amp;D (super-deduction)</translation></message>
<message><source>研发费用（高企口径）</source><translation>R&amp;D (HNTE)</translation></message>
<message><source>境内研发费用</source><translation>Domestic R&amp;D</translation></message>
<message><source>项目编号</source><translation>Project no.</translation></message>
<message><source>项目名称</source><translation>Project name</translation></message>
<message><source>研发形式</source><translation>Form</translation></message>
<message><source>支出类型</source><translation>Expensed/capitalised</translation></message>
<message><source>开始日期</source><translation>Start</translation></message>
<message><source>结束日期</source><translation>End</translation></message>
<message><source>完成情况</source><translation>Status</translation></message>
<message><source>受托方名称</source><translation>Entrustee</translation></message>
<message><source>受托方是否关联方</source><translation>Related party</translation></message>
<message><source>受托方所在地</source><translation>Entrustee location</translation></message>
<message><source>技术合同登记号</source><translation>Contract reg. no.</translation></message>
<message><source>研发成果归属</source><translation>Ownership of results</translation></message>
<message><source>无形资产形成日期</source><translation>IA formed</translation></message>
<message><source>摊销年限</source><translation>Amortisation years</translation></message>
<message><source>无形资产计税基础</source><translation>IA tax base</translation></message>
<message><source>研发成果</source><translation>Results</translation></message>
<message><source>日期</source><translation>Date</translation></message>
<message><source>凭证种类</source><translation>Voucher type</translation></message>
<message><source>凭证号</source><translation>Voucher no.</translation></message>
<message><source>费用代码</source><translation>Code</translation></message>
<message><source>摘要</source><translation>Summary</translation></message>
<message><source>会计金额</source><translation>Amount</translation></message>
<message><source>税法金额</source><translation>Tax amount</translation></message>
<message><source>资金来源</source><translation>Funding</translation></message>
<message><source>研发工时占比</source><translation>R&amp;D share</translation></message>
<message><source>高企费用类别</source><translation>HNTE category</translation></message>
<message><source>类型</source><translation>Type</translation></message>
<message><source>金额</source><translation>Amount</translation></message>
<message><source>说明</source><translation>Note</translation></message>
<message><source>项目</source><translation>Item</translation></message>
<message><source>值</source><translation>Value</translation></message>
<message><source>人员编号</source><translation>Person no.</translation></message>
<message><source>姓名</source><translation>Name</translation></message>
<message><source>月份</source><translation>Month</translation></message>
<message><source>工时</source><translation>Hours</translation></message>
<message><source>人员类型</source><translation>Staff type</translation></message>
<message><source>工资薪金</source><translation>Wages</translation></message>
<message><source>五险一金</source><translation>Social insurance</translation></message>
<message><source>设备编号</source><translation>Equipment no.</translation></message>
<message><source>设备名称</source><translation>Equipment name</translation></message>
<message><source>类别</source><translation>Category</translation></message>
<message><source>折旧额</source><translation>Depreciation</translation></message>
</context>
<context><name>AllocationView</name>
<message><source>关闭</source><translation>Close</translation></message>
<message><source>刷新</source><translation>Refresh</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>人员编号</source><translation>Person no.</translation></message>
<message><source>姓名</source><translation>Name</translation></message>
<message><source>人员类型</source><translation>Staff type</translation></message>
<message><source>月数</source><translation>Months</translation></message>
<message><source>研发工时</source><translation>R&amp;D hours</translation></message>
<message><source>总工时</source><translation>Total hours</translation></message>
<message><source>研发工时占比</source><translation>R&amp;D share</translation></message>
<message><source>研发天数</source><translation>R&amp;D days</translation></message>
<message><source>≥183天</source><translation>≥183 days</translation></message>
<message><source>超工时月份</source><translation>Over-limit months</translation></message>
<message><source>工资薪金</source><translation>Wages</translation></message>
<message><source>五险一金</source><translation>Social insurance</translation></message>
<message><source>分配至研发（工资）</source><translation>To R&amp;D (wages)</translation></message>
<message><source>分配至研发（五险一金）</source><translation>To R&amp;D (social insurance)</translation></message>
<message><source>月份</source><translation>Month</translation></message>
<message><source>上限</source><translation>Limit</translation></message>
<message><source>研发占比</source><translation>R&amp;D share</translation></message>
<message><source>各项目工时</source><translation>Hours by project</translation></message>
<message><source>超过100%工时</source><translation>Over 100%</translation></message>
<message><source>项目</source><translation>Project</translation></message>
<message><source>工资薪金 R04</source><translation>Wages R04</translation></message>
<message><source>五险一金 R05</source><translation>Social ins. R05</translation></message>
<message><source>外聘劳务 R06</source><translation>External staff R06</translation></message>
<message><source>仪器折旧 R17</source><translation>Instruments R17</translation></message>
<message><source>设备折旧 R18</source><translation>Equipment R18</translation></message>
<message><source>合计</source><translation>Total</translation></message>
<message><source>研发合计</source><translation>R&amp;D total</translation></message>
<message><source>、</source><translation>, </translation></message>
<message><source>{m}月</source><translation>{m}</translation></message>
<message><source>非研发</source><translation>Non-R&amp;D</translation></message>
<message><source>（不计入）</source><translation> (not counted)</translation></message>
<message><source>未导入人员工时、人员薪酬或设备折旧：在对应表中填写后，按工时分配的研发支出和研发天数显示在这里。</source><translation>No timesheets, payroll or equipment depreciation yet: fill in those sheets and the R&amp;D expense allocated by hours and the R&amp;D days appear here.</translation></message>
<message><source>人员登记（研发天数 = 研发工时 ÷ 8；高企科技人员须 ≥ 183天）</source><translation>Staff register (R&amp;D days = R&amp;D hours ÷ 8; HNTE R&amp;D staff need ≥ 183 days)</translation></message>
<message><source>所选人员各月工时</source><translation>Monthly hours of the selected person</translation></message>
<message><source>各项目按工时分配的金额</source><translation>Amounts allocated to projects by hours</translation></message>
<message><source>{year}年度：{persons} 人；研发天数不足{days}天 {below} 人；超过100%工时（每月 {limit} 小时）{over} 人月；按工时分配至研发项目 ¥{rd}，非研发 ¥{non}（不计入研发支出）</source><translation>{year}: {persons} people; {below} below {days} R&amp;D days; {over} person-months over 100% ({limit} hours a month); allocated to R&amp;D projects ¥{rd}, non-R&amp;D ¥{non} (not booked as R&amp;D expense)</translation></message>
</context>
<context><name>AuditView</name>
<message><source>关闭</source><translation>Close</translation></message>
<message><source>刷新</source><translation>Refresh</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>审计记录</source><translation>Audit trail</translation></message>
<message><source>搜索（说明、字段、数值…）</source><translation>Search (note, field, value…)</translation></message>
<message><source>日期</source><translation>Dates</translation></message>
<message><source>用户</source><translation>User</translation></message>
<message><source>操作</source><translation>Action</translation></message>
<message><source>表</source><translation>Table</translation></message>
<message><source>至</source><translation>to</translation></message>
<message><source>导出 Excel…</source><translation>Export Excel…</translation></message>
<message><source>导出 CSV…</source><translation>Export CSV…</translation></message>
<message><source>显示 {shown} / 共 {total} 条记录</source><translation>Showing {shown} of {total} entries</translation></message>
<message><source>导出审计记录</source><translation>Export the audit trail</translation></message>
<message><source>导出失败：</source><translation>Export failed: </translation></message>
<message><source>已导出 {n} 条记录到 {path}</source><translation>Exported {n} entries to {path}</translation></message>
<message><source>时间</source><translation>Time</translation></message>
<message><source>行号</source><translation>Row</translation></message>
<message><source>字段</source><translation>Field</translation></message>
<message><source>原值</source><translation>Old value</translation></message>
<message><source>新值</source><translation>New value</translation></message>
<message><source>批次</source><translation>Batch</translation></message>
<message><source>说明</source><translation>Note</translation></message>
<message><source>修改</source><translation>Edit</translation></message>
<message><source>新增行</source><translation>Add row</translation></message>
<message><source>删除行</source><translation>Delete row</translation></message>
<message><source>导入</source><translation>Import</translation></message>
<message><source>新建</source><translation>Create</translation></message>
<message><source>恢复</source><translation>Recover</translation></message>
<message><source>导出</source><translation>Export</translation></message>
<message><source>企业信息</source><translation>Enterprise</translation></message>
<message><source>年度数据</source><translation>Yearly data</translation></message>
<message><source>研发项目</source><translation>Projects</translation></message>
<message><source>研发支出</source><translation>Ledger</translation></message>
<message><source>调整事项</source><translation>Adjustments</translation></message>
<message><source>补助测算信息</source><translation>Subsidy facts</translation></message>
<message><source>人员工时</source><translation>Timesheets</translation></message>
<message><source>人员薪酬</source><translation>Payroll</translation></message>
<message><source>设备折旧</source><translation>Equipment depreciation</translation></message>
<message><source>设备工时</source><translation>Equipment hours</translation></message>
<message><source>留存备查</source><translation>Evidence</translation></message>
</context>
<context><name>ChecklistView</name>
<message><source>关闭</source><translation>Close</translation></message>
<message><source>刷新</source><translation>Refresh</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>留存备查资料清单</source><translation>Evidence checklist</translation></message>
<message><source>年度</source><translation>Year</translation></message>
<message><source>项目</source><translation>Project</translation></message>
<message><source>序号</source><translation>No.</translation></message>
<message><source>资料</source><translation>Document</translation></message>
<message><source>依据</source><translation>Basis</translation></message>
<message><source>已备齐</source><translation>On file</translation></message>
<message><source>状态</source><translation>Status</translation></message>
<message><source>附件</source><translation>Attachments</translation></message>
<message><source>备注</source><translation>Note</translation></message>
<message><source>附加文件…</source><translation>Attach files…</translation></message>
<message><source>移除附件</source><translation>Remove attachments</translation></message>
<message><source>打开附件</source><translation>Open attachments</translation></message>
<message><source>企业（整体）</source><translation>Enterprise (whole)</translation></message>
<message><source>（文件缺失）</source><translation> (file missing)</translation></message>
<message><source>已备齐（附件缺失）</source><translation>On file (attachment missing)</translation></message>
<message><source>缺</source><translation>Missing</translation></message>
<message><source>未取得</source><translation>Not obtained</translation></message>
<message><source>未标记</source><translation>Not marked</translation></message>
<message><source>如有</source><translation>If any</translation></message>
<message><source>应留存 {required} 项，已备齐 {done} 项，尚缺或未标记 {missing} 项</source><translation>{required} documents to keep, {done} on file, {missing} missing or not marked</translation></message>
<message><source>；附件缺失 {n} 个</source><translation>; {n} attachments missing</translation></message>
<message><source>。保存期限至 {end}（自{year}年度汇算清缴期结束次日起{years}年）。</source><translation>. Keep until {end} ({years} years from the day after the {year} annual settlement period). </translation></message>
<message><source>附件按相对于工作区文件所在文件夹的路径保存。</source><translation>Attachments are stored relative to the workspace file's folder.</translation></message>
<message><source>留存备查</source><translation>Evidence</translation></message>
<message><source>附加文件</source><translation>Attach files</translation></message>
<message><source>请先选中一行资料</source><translation>Select one document row first</translation></message>
<message><source>附加留存备查资料</source><translation>Attach evidence documents</translation></message>
</context>
<context><name>DiffDialog</name>
<message><source>关闭</source><translation>Close</translation></message>
<message><source>刷新</source><translation>Refresh</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>企业信息</source><translation>Enterprise</translation></message>
<message><source>年度数据</source><translation>Yearly data</translation></message>
<message><source>研发项目</source><translation>Projects</translation></message>
<message><source>研发支出</source><translation>Ledger</translation></message>
<message><source>调整事项</source><translation>Adjustments</translation></message>
<message><source>补助测算信息</source><translation>Subsidy facts</translation></message>
<message><source>人员工时</source><translation>Timesheets</translation></message>
<message><source>人员薪酬</source><translation>Payroll</translation></message>
<message><source>设备折旧</source><translation>Equipment depreciation</translation></message>
<message><source>设备工时</source><translation>Equipment hours</translation></message>
<message><source>导入前比较</source><translation>Before importing</translation></message>
<message><source>替换导入（工作区将与工作簿一致）</source><translation>Replace (the workspace will match the workbook)</translation></message>
<message><source>合并导入</source><translation>Merge</translation></message>
<message><source>：新增 {added}，修改 {changed}，删除 {removed}，未变 {unchanged}</source><translation>: {added} added, {changed} changed, {removed} removed, {unchanged} unchanged</translation></message>
<message><source>表</source><translation>Table</translation></message>
<message><source>新增</source><translation>Added</translation></message>
<message><source>修改</source><translation>Changed</translation></message>
<message><source>删除</source><translation>Removed</translation></message>
<message><source>未变</source><translation>Unchanged</translation></message>
<message><source>变化</source><translation>Change</translation></message>
<message><source>标识</source><translation>Key</translation></message>
<message><source>明细</source><translation>Details</translation></message>
<message><source>工作簿与当前数据一致，导入不会改变数据。</source><translation>The workbook matches the current data: importing changes nothing.</translation></message>
<message><source>（每张表最多列出 {n} 处变化，上方计数为全部）</source><translation>(at most {n} changes listed per table; the counts above cover all)</translation></message>
<message><source>应用导入</source><translation>Apply import</translation></message>
</context>
<context><name>RosterView</name>
<message><source>关闭</source><translation>Close</translation></message>
<message><source>刷新</source><translation>Refresh</translation></message>
<message><source>取消</source><translation>Cancel</translation></message>
<message><source>全部</source><translation>All</translation></message>
<message><source>是</source><translation>Yes</translation></message>
<message><source>否</source><translation>No</translation></message>
<message><source>工作区一览</source><translation>Workspace roster</translation></message>
<message><source>文件夹</source><translation>Folder</translation></message>
<message><source>选择…</source><translation>Choose…</translation></message>
<message><source>包括子文件夹</source><translation>Include subfolders</translation></message>
<message><source>打开</source><translation>Open</translation></message>
<message><source>文件</source><translation>File</translation></message>
<message><source>企业名称</source><translation>Enterprise</translation></message>
<message><source>统一社会信用代码</source><translation>Credit code</translation></message>
<message><source>年度</source><translation>Year</translation></message>
<message><source>研发费用(第40行)</source><translation>R&amp;D expense (line 40)</translation></message>
<message><source>加计扣除额(第51行)</source><translation>Super-deduction (line 51)</translation></message>
<message><source>高企认定</source><translation>HNTE</translation></message>
<message><source>后补助(最高项)</source><translation>Post-subsidy (largest)</translation></message>
<message><source>问题数</source><translation>Findings</translation></message>
<message><source>最后保存</source><translation>Last saved</translation></message>
<message><source>状态</source><translation>Status</translation></message>
<message><source>A107012 第40行：本年允许加计扣除的研发费用合计</source><translation>A107012 line 40: eligible R&amp;D expense of the year</translation></message>
<message><source>A107012 第51行：本年研发费用加计扣除额</source><translation>A107012 line 51: the super-deduction of the year</translation></message>
<message><source>高新技术企业：证书有效或认定条件测算结论</source><translation>High-tech enterprise: valid certificate or the assessment</translation></message>
<message><source>可测算的后补助中金额最高的一项</source><translation>The largest estimated post-subsidy</translation></message>
<message><source>错误与警告的条数</source><translation>Errors and warnings</translation></message>
<message><source>已认定（证书有效）</source><translation>Certified (valid)</translation></message>
<message><source>不符合认定条件</source><translation>Not eligible</translation></message>
<message><source>很可能符合认定条件</source><translation>Likely eligible</translation></message>
<message><source>尚不确定</source><translation>Uncertain</translation></message>
<message><source>正在被 {user} 编辑</source><translation>Being edited by {user}</translation></message>
<message><source>（最高）</source><translation> (up to)</translation></message>
<message><source>{n}（错误 {errors}）</source><translation>{n} ({errors} errors)</translation></message>
<message><source>选择存放工作区的文件夹</source><translation>Choose the folder of the workspaces</translation></message>
<message><source>请选择存放工作区（.rdw）的文件夹</source><translation>Choose the folder that holds the workspaces (.rdw)</translation></message>
<message><source>正在读取…</source><translation>Reading…</translation></message>
<message><source>共 {n} 个工作区</source><translation>{n} workspaces</translation></message>
<message><source>，{n} 个无法读取</source><translation>, {n} unreadable</translation></message>
<message><source>。双击打开；金额单位：元</source><translation>. Double-click to open; amounts in yuan</translation></message>
<message><source>节税合计</source><translation>Tax saved</translation></message>
<message><source>后补助(最高项，不计入合计)</source><translation>Post-subsidy (largest, not in the total)</translation></message>
<message><source>确定的税收效应：加计扣除节税＋高企15%税率节税＋小型微利优惠；不含后补助</source><translation>The certain tax effect: super-deduction saving + 15% HNTE rate + small low-profit relief; no post-subsidy</translation></message>
<message><source>可测算的后补助中金额最高的一项，注明预估／附条件／最高可得；不计入节税合计</source><translation>The largest estimated post-subsidy, marked estimate / conditional / up to; not in the tax total</translation></message>
<message><source>无法计算</source><translation>Cannot be computed</translation></message>
<message><source>预估</source><translation>estimate</translation></message>
<message><source>附条件</source><translation>conditional</translation></message>
<message><source>最高可得</source><translation>up to</translation></message>
<message><source>预估区间</source><translation>estimated range</translation></message>
</context>
<context><name>ResultsView</name>
<message><source>提示</source><translation>Info</translation></message>
<message><source>关注</source><translation>Attention</translation></message>
<message><source>高风险</source><translation>High risk</translation></message>
<message><source>风险级别</source><translation>Risk level</translation></message>
<message><source>规则</source><translation>Rule</translation></message>
<message><source>处数</source><translation>Places</translation></message>
<message><source>首处位置</source><translation>First place</translation></message>
<message><source>风险事项（悬停查看为何关注与留存资料）</source><translation>Risk (hover for why it matters and what to keep on file)</translation></message>
</context>
<context><name>StatementView</name>
<message><source>数据已修改，此报告已过期（与当前数据不符），不能保存或打印。请重新生成。</source><translation>The data changed: this statement is out of date and cannot be saved or printed. Regenerate it.</translation></message>
<message><source>重新生成报告</source><translation>Regenerate</translation></message>
<message><source>生成报告</source><translation>Generate the statement</translation></message>
<message><source>按当前数据生成报告</source><translation>Generate the statement of the current data</translation></message>
<message><source>报告已过期</source><translation>Statement out of date</translation></message>
<message><source>附加留存备查资料清单</source><translation>Append the evidence checklist</translation></message>
<message><source>附技术附录</source><translation>Append the technical appendix</translation></message>
<message><source>附上A107012、分项目汇总、计算过程追溯、明细账行汇总、检查结果与风险提示详情</source><translation>Append A107012, the project summary, the traces, the ledger summary, the findings and the risk details</translation></message>
</context>
<context><name>PackPicker</name>
<message><source>地区 · 政策</source><translation>Region · policy</translation></message>
<message><source>状态</source><translation>Status</translation></message>
<message><source>适用</source><translation>Applies</translation></message>
<message><source>其他</source><translation>Other</translation></message>
<message><source>全省（区、市）</source><translation>Whole province</translation></message>
<message><source>选择所在地区后补助政策</source><translation>Choose the regional post-subsidy policy</translation></message>
<message><source>按省份展开，勾选企业注册地适用的政策（可多选）。“暂定”表示政策参数尚待核实。</source><translation>Expand a province and tick the policies of the enterprise's registered place (several allowed). “暂定” (provisional) means the parameters are not yet verified.</translation></message>
<message><source>搜索地区或政策名称，如 苏州、宁夏</source><translation>Search region or policy, e.g. 苏州, 宁夏</translation></message>
</context>
</TS>
