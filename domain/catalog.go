package domain

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Label is a named entry of reference data with Chinese and English labels.
type Label struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// Region is a union's administrative division (GB/T 2260 code).
type Region struct {
	Code   string `json:"code"`
	ZH     string `json:"zh"`
	Pinyin string `json:"pinyin"`
	// Level is "city" for the federation itself and "county" for county-level
	// unions. Money not yet allocated to a county sits at the city level.
	Level string `json:"level"`
}

// ItemKind is a kind of goods with the unit its quantities are counted in.
type ItemKind struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
	Unit string `json:"unit"`
}

// Catalog is the reference data events are checked against. Regions,
// campaigns, groups, items and sites are data, not code: another union loads
// its own lists from a file.
type Catalog struct {
	Regions           []Region   `json:"regions"`
	Campaigns         []Label    `json:"campaigns"`
	BeneficiaryGroups []Label    `json:"beneficiary_groups"`
	ItemKinds         []ItemKind `json:"item_kinds"`
	SiteKinds         []Label    `json:"site_kinds"`
	TrainingTopics    []Label    `json:"training_topics"`

	regionByCode map[string]Region
	codeSets     map[string]map[string]bool
}

var (
	regionCodePattern = regexp.MustCompile(`^[0-9]{6}$`)
	// Codes become NATS subject tokens and map keys, so they are kept to
	// lower-case ASCII letters, digits and dashes.
	codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

// DefaultCatalog returns the Ordos federation's reference data: the city
// union, its nine county-level unions and the campaigns, groups and goods of
// the 2022 source article.
func DefaultCatalog() *Catalog {
	catalog := &Catalog{
		Regions: []Region{
			{"150600", "鄂尔多斯市总工会", "Ordos City", "city"},
			{"150602", "东胜区", "Dongsheng", "county"},
			{"150603", "康巴什区", "Kangbashi", "county"},
			{"150621", "达拉特旗", "Dalad", "county"},
			{"150622", "准格尔旗", "Jungar", "county"},
			{"150623", "鄂托克前旗", "Otog Front", "county"},
			{"150624", "鄂托克旗", "Otog", "county"},
			{"150625", "杭锦旗", "Hanggin", "county"},
			{"150626", "乌审旗", "Uxin", "county"},
			{"150627", "伊金霍洛旗", "Ejin Horo", "county"},
		},
		Campaigns: []Label{
			{"general", "日常帮扶", "General welfare fund"},
			{"2022-spring-jobs", "2022春送岗位", "2022 Spring: jobs"},
			{"2022-new-workers-month", "2022工会进万家·新业态劳动者温暖行动服务月", "2022 New-form workers service month"},
			{"2022-summer-cooling", "2022喜迎二十大、建功新时代——情系职工、夏送清凉", "2022 Summer cooling"},
			{"2022-health-law-lectures", "2022健康护航、法治随行公益宣讲", "2022 Health and law lectures"},
			{"2022-autumn-school-aid", "2022金秋助学", "2022 Autumn school aid"},
			{"2022-winter-warmth", "2022冬送温暖", "2022 Winter warmth"},
		},
		BeneficiaryGroups: []Label{
			{"outdoor-workers", "户外劳动者", "Outdoor workers"},
			{"migrant-workers", "农牧民工", "Farm and herd migrant workers"},
			{"construction-workers", "建筑工", "Construction workers"},
			{"sanitation-workers", "环卫工", "Sanitation workers"},
			{"taxi-drivers", "出租车司机", "Taxi drivers"},
			{"traffic-police", "交通警察", "Traffic police"},
			{"new-form-workers", "新业态劳动者", "New-form workers (riders, ride-hailing drivers)"},
			{"medical-staff", "医护人员", "Medical staff"},
			{"epidemic-volunteers", "疫情防控志愿者", "Epidemic-control volunteers"},
			{"enterprise-workers", "企业职工", "Enterprise workers"},
		},
		ItemKinds: []ItemKind{
			{"drinking-water", "饮用水", "Drinking water", "箱"},
			{"herbal-tea", "凉茶", "Herbal tea", "箱"},
			{"sunscreen", "防晒霜", "Sunscreen", "支"},
			{"heatstroke-medicine", "防暑药品", "Heatstroke medicine", "盒"},
			{"cooling-gift-pack", "清凉大礼包", "Cooling gift pack", "份"},
			{"towel", "毛巾", "Towel", "条"},
			{"school-supplies", "学习用品", "School supplies", "套"},
			{"winter-clothing", "御寒衣物", "Winter clothing", "件"},
		},
		SiteKinds: []Label{
			{"construction-site", "施工工地", "Construction site"},
			{"sanitation-depot", "环卫站", "Sanitation depot"},
			{"police-post", "交警岗亭", "Traffic police post"},
			{"service-station", "户外劳动者服务站点", "Outdoor-worker service station"},
			{"enterprise", "企业", "Enterprise"},
			{"community", "社区", "Community"},
			{"online", "线上", "Online"},
		},
		TrainingTopics: []Label{
			{"trade-union-law", "《工会法》", "Trade Union Law"},
			{"civil-code", "《民法典》", "Civil Code"},
			{"labour-law", "劳动法律法规", "Labour law"},
			{"stress-relief", "心理减压", "Stress relief"},
			{"heatstroke-prevention", "防暑降温", "Heatstroke prevention"},
			{"safety", "安全生产", "Work safety"},
			{"health", "健康知识", "Health"},
			{"skills", "职业技能", "Job skills"},
		},
	}
	if err := catalog.index(); err != nil {
		panic(fmt.Sprintf("default catalog: %v", err))
	}
	return catalog
}

// LoadCatalog reads a catalog from JSON. Lists the file leaves out keep the
// defaults, so a file with only "regions" swaps the regions alone.
func LoadCatalog(reader io.Reader) (*Catalog, error) {
	var loaded Catalog
	decoder := json.NewDecoder(io.LimitReader(reader, catalogBytesMax))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&loaded); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	defaults := DefaultCatalog()
	if loaded.Regions == nil {
		loaded.Regions = defaults.Regions
	}
	if loaded.Campaigns == nil {
		loaded.Campaigns = defaults.Campaigns
	}
	if loaded.BeneficiaryGroups == nil {
		loaded.BeneficiaryGroups = defaults.BeneficiaryGroups
	}
	if loaded.ItemKinds == nil {
		loaded.ItemKinds = defaults.ItemKinds
	}
	if loaded.SiteKinds == nil {
		loaded.SiteKinds = defaults.SiteKinds
	}
	if loaded.TrainingTopics == nil {
		loaded.TrainingTopics = defaults.TrainingTopics
	}
	if err := loaded.index(); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return &loaded, nil
}

const catalogBytesMax = 1 << 20

func (c *Catalog) index() error {
	c.regionByCode = make(map[string]Region, len(c.Regions))
	cities := 0
	for _, region := range c.Regions {
		if !regionCodePattern.MatchString(region.Code) {
			return fmt.Errorf("region %q: code must be six digits (GB/T 2260)", region.Code)
		}
		if region.Level != "city" && region.Level != "county" {
			return fmt.Errorf("region %s: level must be city or county", region.Code)
		}
		if region.Level == "city" {
			cities++
		}
		if _, dup := c.regionByCode[region.Code]; dup {
			return fmt.Errorf("region %s: listed twice", region.Code)
		}
		c.regionByCode[region.Code] = region
	}
	if cities != 1 {
		return fmt.Errorf("regions: exactly one region must have level city, found %d", cities)
	}
	c.codeSets = map[string]map[string]bool{}
	add := func(set, code string) error {
		if !codePattern.MatchString(code) {
			return fmt.Errorf("%s %q: code must match %s", set, code, codePattern)
		}
		if c.codeSets[set] == nil {
			c.codeSets[set] = map[string]bool{}
		}
		if c.codeSets[set][code] {
			return fmt.Errorf("%s %q: listed twice", set, code)
		}
		c.codeSets[set][code] = true
		return nil
	}
	for set, labels := range map[string][]Label{
		"campaign": c.Campaigns, "beneficiary group": c.BeneficiaryGroups,
		"site kind": c.SiteKinds, "training topic": c.TrainingTopics,
	} {
		for _, label := range labels {
			if err := add(set, label.Code); err != nil {
				return err
			}
		}
	}
	for _, item := range c.ItemKinds {
		if err := add("item kind", item.Code); err != nil {
			return err
		}
	}
	return nil
}

// Region returns the region with the code.
func (c *Catalog) Region(code string) (Region, bool) {
	region, ok := c.regionByCode[code]
	return region, ok
}

// CityCode is the code of the federation itself, where unallocated money sits.
func (c *Catalog) CityCode() string {
	for _, region := range c.Regions {
		if region.Level == "city" {
			return region.Code
		}
	}
	return ""
}

// RegionName renders "乌审旗 Uxin" for tables, or the bare code if unknown.
func (c *Catalog) RegionName(code string) string {
	if region, ok := c.regionByCode[code]; ok {
		return region.ZH + " " + region.Pinyin
	}
	return code
}

func (c *Catalog) has(set, code string) bool { return c.codeSets[set][code] }

func (c *Catalog) codes(set string) string {
	codes := make([]string, 0, len(c.codeSets[set]))
	for code := range c.codeSets[set] {
		codes = append(codes, code)
	}
	sortStrings(codes)
	return strings.Join(codes, ", ")
}
